"""Doctest collection over the package: skip the locustfiles, which only ever run inside
``python -m locust`` (importing locust here would monkey-patch the test process with gevent)."""

collect_ignore = ["mltestkit/serving/locustfile.py", "mltestkit/serving/locust_errors.py"]
