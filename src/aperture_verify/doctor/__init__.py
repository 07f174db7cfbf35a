"""``aperture-doctor``: map a real Data Studio server's API onto the suite's profile.

It finds the server's OpenAPI/Swagger document (``discover``), reads it
(``document``), finds every route and field the suite needs (``infer``),
compares them with the configured profile and proposes a complete
``[server.profile]`` block (``report``), writes it into ``plans.toml`` on
request (``write``), and checks the credentials and the plan's workflows with
read-only calls (``checks``). It never executes a workflow.
"""
