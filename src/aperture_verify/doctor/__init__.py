"""``aperture-doctor``: map a real Data Studio server's API onto the suite's profile.

It finds the server's OpenAPI/Swagger document (``discover``), reads it
(``document``), maps every route and field the suite needs (``mapping``, with
``routes``, ``jobfields``, ``fields`` and ``vocabulary``), proves that reading
on the server's live read-only answers (``live``, over ``session``), proposes a
``[server.profile]`` block and writes it into ``plans.toml`` on request
(``diagnose``, ``write``), and checks the credentials and the plan's
workflows with read-only calls (``readiness``). It never executes a workflow.
"""
