"""The city portal's face: the home page (Vietnamese first), featured datasets, an offline basemap.

Everything a page loads comes from this CKAN: the map previews' basemap is a tile served here, not
OpenStreetMap's (the portal's pages must not call the internet).
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as toolkit
from ckan import model


def featured_datasets(limit: int = 6) -> list[dict[str, Any]]:
    """The most recently updated public datasets, for the home page."""
    found = toolkit.get_action("package_search")(
        {"ignore_auth": True}, {"rows": limit, "sort": "metadata_modified desc", "include_private": False})
    return found["results"]


def portal_counts() -> dict[str, int]:
    datasets = (model.Session.query(model.Package)
                .filter(model.Package.state == "active", model.Package.private.is_(False),
                        model.Package.type == "dataset").count())
    orgs = (model.Session.query(model.Group)
            .filter(model.Group.state == "active", model.Group.is_organization.is_(True)).count())
    return {"datasets": datasets, "organizations": orgs}


def extra(pkg: dict[str, Any], key: str, default: str = "") -> str:
    """A dataset field whether the schema made it top-level or it is a free extra."""
    if pkg.get(key):
        return pkg[key]
    return next((e["value"] for e in pkg.get("extras", []) if e.get("key") == key), default)


@toolkit.chained_helper
def render_datetime(next_helper: Any, datetime_: Any, date_format: str | None = None, with_hours: bool = False,
                    with_seconds: bool = False) -> str:
    """Dates and times on the pages in ISO 8601 (``2026-12-05``, ``2026-12-05T16:20+07:00``), as in
    the data, in the portal's display time zone; an explicit format is left to CKAN."""
    if date_format:
        return next_helper(datetime_, date_format, with_hours, with_seconds)
    from ckan.lib.helpers import _datestamp_to_datetime

    value = _datestamp_to_datetime(datetime_)
    if not value:
        return ""
    if with_seconds:
        return value.isoformat(timespec="seconds")
    if with_hours:
        return value.isoformat(timespec="minutes")
    return value.date().isoformat()


def datatables_vendor_file(filename: str) -> Any:
    """CKAN 2.12's DataTables view stylesheet points at ``vendor/FontAwesome/...`` beside the
    bundled CSS, which webassets never copies there: every preview logged a 404. Served from
    the view's own assets."""
    from pathlib import Path

    import ckanext.datatablesview
    from flask import send_from_directory

    vendor = Path(ckanext.datatablesview.__file__).parent / "assets" / "vendor"
    return send_from_directory(vendor, filename)


class CityPortalPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.ITemplateHelpers)
    plugins.implements(plugins.IBlueprint)

    def get_blueprint(self) -> Any:
        from flask import Blueprint

        blueprint = Blueprint("citylake_portal", __name__)
        blueprint.add_url_rule("/webassets/ckanext-datatablesview/vendor/<path:filename>",
                               view_func=datatables_vendor_file)
        return blueprint

    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")
        toolkit.add_public_directory(config, "public")

    def get_helpers(self) -> dict[str, Any]:
        return {"citylake_featured_datasets": featured_datasets, "citylake_portal_counts": portal_counts,
                "citylake_extra": extra, "render_datetime": render_datetime}
