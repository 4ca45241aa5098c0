"""The Open311 GeoReport v2 API at /open311/v2: an aiohttp sub-app over core.open311."""
