"""Response helpers shared by the step views."""

from __future__ import annotations

from fastapi.responses import Response


def attachment(data: bytes | str, filename: str, media_type: str) -> Response:
    """A download: the browser saves it under ``filename`` instead of showing it."""
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
