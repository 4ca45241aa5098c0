"""GeoReport v2's two formats: JSON as the values are, and XML with the spec's element names
(xml.etree: every value escaped by the library)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp import web

JSON_TYPE = "application/json"
XML_TYPE = "text/xml"
# The element of each item of a list, by the list's own element.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, value: Any, *, status: int = 200,
            headers: dict[str, str] | None = None) -> web.Response:
    """`value` as JSON (fmt "json") or as XML under `root`."""
    if fmt == "xml":
        return web.Response(body=to_xml(root, value), status=status, content_type=XML_TYPE, charset="utf-8",
                            headers=headers)
    return web.Response(body=json.dumps(value, ensure_ascii=False).encode(), status=status,
                        content_type=JSON_TYPE, charset="utf-8", headers=headers)


def errors(fmt: str, status: int, description: str, *, retry_after: int | None = None) -> web.Response:
    """The spec's error list: [{"code": N, "description": "..."}], <errors><error>...</error></errors>."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status, headers=headers)
