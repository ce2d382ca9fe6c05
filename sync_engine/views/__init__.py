"""Typed results shared by every surface: the CLI, the studio's backends and the control API.

Each is a pydantic model, so the control API declares it in its OpenAPI document, the remote backend
parses it back into the same class, and the local backend hands it to the studio as is: one shape for
a run, an item, a conflict or a plan line wherever it is shown.
"""
