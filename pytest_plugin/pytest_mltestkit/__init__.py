"""pytest glue for mltestkit: the ``--ml`` option, markers, the ``ml`` fixture and the report."""

__all__: list[str] = []
