"""RSS/Atom feed files -> articles (summarize.ingest.feeds)."""

from __future__ import annotations

import pytest

from summarize.errors import InputError
from summarize.ingest import feeds
from summarize.options import Limits
from summarize.records import Skipped

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example News</title>
<item><title>Storm hits &amp; floods coast</title><link>https://example.com/storm</link>
<guid>storm-1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;A storm hit the coast on Monday.&lt;/p&gt;&lt;p&gt;Thousands lost power.&lt;/p&gt;</description></item>
<item><title>Empty entry</title><link>https://example.com/empty</link><description></description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Daily</title>
<entry><id>tag:atom,2026:1</id><title>Council votes</title><link href="https://atom.example/1"/>
<updated>2026-11-22T08:30:00Z</updated><summary>Short summary.</summary>
<content type="html">&lt;p&gt;The council voted 7 to 2 on Sunday.&lt;/p&gt;&lt;script&gt;track()&lt;/script&gt;</content></entry>
</feed>"""


def test_rss_entries_become_articles_and_empty_entries_are_reported():
    skipped: list = []
    articles = feeds.parse_feed(RSS, "news.rss", skipped)
    assert len(articles) == 1
    a = articles[0]
    assert (a.title, a.url, a.outlet) == ("Storm hits & floods coast", "https://example.com/storm", "Example News")
    assert a.published == "2026-11-23T10:00:00+00:00"
    assert a.text == "A storm hit the coast on Monday.\nThousands lost power."
    assert skipped == [Skipped("https://example.com/empty", "news.rss entry 2: the feed entry has no text")]


def test_atom_prefers_full_content_and_drops_scripts():
    (a,) = feeds.parse_feed(ATOM, "atom.xml")
    assert a.text == "The council voted 7 to 2 on Sunday."
    assert (a.url, a.published, a.outlet) == ("https://atom.example/1", "2026-11-22T08:30:00+00:00", "Atom Daily")


def test_ids_are_stable_and_come_from_the_entry_id():
    assert feeds.parse_feed(RSS, "a")[0].id == feeds.parse_feed(RSS, "b")[0].id


@pytest.mark.parametrize("data", [b"this is { not xml", b"<html><body><p>a page</p></body></html>"])
def test_a_file_that_is_not_a_feed_is_an_input_error(data, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    with pytest.raises(InputError, match="bad.xml: not a"):
        feeds.read_feed(path)


def test_empty_feed_file_is_an_input_error(tmp_path):
    path = tmp_path / "empty.rss"
    path.write_bytes(b"  \n")
    with pytest.raises(InputError, match="empty"):
        feeds.read_feed(path)


def test_feed_files_are_recognised_by_suffix_or_root_element(tmp_path):
    sniffed = tmp_path / "feed.txt"
    sniffed.write_bytes(ATOM)
    plain = tmp_path / "story.txt"
    plain.write_text("Just an article.\n")
    assert feeds.looks_like_feed(sniffed)
    assert not feeds.looks_like_feed(plain)
    assert feeds.looks_like_feed(tmp_path / "x.rss")


@pytest.fixture
def feed_server():
    """A real HTTP server on localhost: /news.rss is the feed, /missing a 404, /page not a feed."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body, status = {"/news.rss": (RSS, 200), "/page": (b"<html><body>Hi</body></html>", 200)}.get(
                self.path, (b"no", 404))
            self.send_response(status)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_feed_urls_are_fetched_and_failures_are_input_errors_naming_the_url(feed_server):
    skipped: list = []
    local = Limits(allow_private_hosts=True)  # the test server is on loopback
    (article,) = feeds.fetch_feed(f"{feed_server}/news.rss", skipped, local)
    assert article.url == "https://example.com/storm" and article.outlet == "Example News"
    assert skipped and "has no text" in skipped[0].reason
    with pytest.raises(InputError, match=r"/missing: the server answered HTTP 404"):
        feeds.fetch_feed(f"{feed_server}/missing", limits=local)
    with pytest.raises(InputError, match=r"/page: not an RSS/Atom feed"):
        feeds.fetch_feed(f"{feed_server}/page", limits=local)
    with pytest.raises(InputError, match=r"^http://127\.0\.0\.1:9/closed\.rss: cannot fetch the feed"):
        feeds.fetch_feed("http://127.0.0.1:9/closed.rss", limits=Limits(feed_timeout_s=5, allow_private_hosts=True))


def test_digest_reads_a_feed_url_and_logs_an_unreachable_one(feed_server, tmp_path):
    from conftest import HashingEmbedder

    from summarize.digest import job as digest
    from summarize.options import Options

    result = digest.run([f"{feed_server}/news.rss", "http://127.0.0.1:9/closed.rss"], date="2026-11-23",
                        out_dir=tmp_path / "out", store=tmp_path / "s.sqlite", embedder=HashingEmbedder(),
                        options=Options(limits=Limits(allow_private_hosts=True)))
    assert result.counts["new"] == 1 and len(result.stories) == 1
    log = (tmp_path / "out" / "digest.log").read_text()
    assert "skipped http://127.0.0.1:9/closed.rss: http://127.0.0.1:9/closed.rss: cannot fetch the feed" in log


def test_digest_logs_a_refused_loopback_feed_and_the_day_goes_on(feed_server, tmp_path):
    from conftest import HashingEmbedder

    from summarize.digest import job as digest

    story = tmp_path / "story.txt"
    story.write_text("Harbour bridge reopens\n\nThe harbour bridge reopened on Monday after two years of repairs.\n")
    url = f"{feed_server}/news.rss"
    result = digest.run([url, str(story)], date="2026-11-23", out_dir=tmp_path / "out",
                        store=tmp_path / "s.sqlite", embedder=HashingEmbedder())
    assert result.counts["new"] == 1
    log = (tmp_path / "out" / "digest.log").read_text()
    (line,) = [line for line in log.splitlines() if f" skipped {url}: {url}: refused" in line]
    assert "loopback" in line and "allow_private_hosts = true" in line and "[summarize.limits]" in line
