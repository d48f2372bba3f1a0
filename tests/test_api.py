import inspect

import summarize


def test_all_is_complete_and_importable():
    public = {name for name in dir(summarize) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if inspect.ismodule(getattr(summarize, name))}
    assert public - modules <= set(summarize.__all__)
    for name in summarize.__all__:
        assert getattr(summarize, name) is not None


def test_entry_points_are_functions_not_modules():
    for name in ("brief", "briefs", "stories", "load"):
        assert inspect.isfunction(getattr(summarize, name)), name


def test_errors_form_one_hierarchy():
    for name in ("InputError", "ModelError", "OutputError", "ResourceMissingError"):
        assert issubclass(getattr(summarize, name), summarize.SummarizeError)
