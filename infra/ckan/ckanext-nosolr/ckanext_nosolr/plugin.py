"""Demo/test stand-in for Solr: indexing is a no-op and package_search reads CKAN's database.

Not for production: a real portal runs Solr. See ../README.md.
"""
from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as toolkit
import sqlalchemy as sa
from ckan import model
from ckan.lib import search
from ckan.lib.search.index import PackageSearchIndex
from ckan.lib.search.query import PackageSearchQuery

_FILTER = re.compile(r'([+-]?)(\w+):(\([^)]*\)|"[^"]*"|\S+)')


class NoopPackageSearchIndex(PackageSearchIndex):
    """Nothing to index: queries read the database directly."""

    def index_package(self, pkg_dict: Any, defer_commit: bool = False) -> None:
        return None

    def update_dict(self, pkg_dict: Any, defer_commit: bool = False) -> None:
        return None

    def remove_dict(self, pkg_dict: Any) -> None:
        return None

    def delete_package(self, pkg_dict: Any) -> None:
        return None

    def commit(self) -> None:
        return None

    def clear(self) -> None:
        return None


def _values(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("("):
        return [v.strip('"') for v in re.split(r"\s+OR\s+", raw[1:-1].strip()) if v]
    return [raw.strip('"')]


class DatabasePackageSearchQuery(PackageSearchQuery):
    """Answers the subset of Solr queries that CKAN's own actions and pages send."""

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        rows = model.Session.query(model.Package.id).filter(model.Package.state == "active")
        return [r[0] for r in rows.limit(max_results)]

    def get_index(self, reference: str) -> dict[str, Any]:
        # No cached copy exists: package_show then builds the dict from the database.
        raise search.SearchError(f"no search index (ckanext-nosolr): {reference}")

    def run(self, query: dict[str, Any], permission_labels: Any = None, **kwargs: Any) -> dict[str, Any]:
        q = model.Session.query(model.Package).filter(model.Package.type == "dataset")
        fq = " ".join(filter(None, [query.get("fq") or ""] + list(query.get("fq_list") or [])))
        states = ["active"]
        for sign, fieldname, raw in _FILTER.findall(fq):
            values = _values(raw)
            if sign == "-":
                continue
            if fieldname == "state":
                states = values
            elif fieldname == "capacity" and values == ["public"]:
                q = q.filter(model.Package.private.is_(False))
            elif fieldname == "owner_org":
                q = q.filter(model.Package.owner_org.in_(values))
            elif fieldname == "organization":
                orgs = model.Session.query(model.Group.id).filter(model.Group.name.in_(values))
                q = q.filter(model.Package.owner_org.in_([o[0] for o in orgs]))
            elif fieldname in ("name", "id"):
                q = q.filter(getattr(model.Package, fieldname).in_(values))
            elif fieldname == "tags":
                tagged = (model.Session.query(model.PackageTag.package_id)
                          .join(model.Tag).filter(model.Tag.name.in_(values),
                                                  model.PackageTag.state == "active"))
                q = q.filter(model.Package.id.in_(tagged))
            elif fieldname == "license_id":
                q = q.filter(model.Package.license_id.in_(values))
            elif fieldname == "res_format":
                formatted = (model.Session.query(model.Resource.package_id)
                             .filter(model.Resource.format.in_(values), model.Resource.state == "active"))
                q = q.filter(model.Package.id.in_(formatted))
            elif fieldname == "groups":
                members = (model.Session.query(model.Member.table_id).join(model.Group)
                           .filter(model.Group.name.in_(values), model.Member.table_name == "package",
                                   model.Member.state == "active", model.Group.is_organization.is_(False)))
                q = q.filter(model.Package.id.in_(members))
        q = q.filter(model.Package.state.in_(states))
        text = (query.get("q") or "").strip()
        if text and text not in ("*:*", '""'):
            for _sign, fieldname, raw in _FILTER.findall(text):
                if fieldname in ("name", "id"):
                    q = q.filter(getattr(model.Package, fieldname).in_(_values(raw)))
            words = _FILTER.sub("", text).split()
            for word in words:
                like = f"%{word}%"
                q = q.filter(model.Package.name.ilike(like) | model.Package.title.ilike(like)
                             | model.Package.notes.ilike(like))
        sort = (query.get("sort") or "metadata_modified desc").split(",")[0].split()
        column = {"name": model.Package.name, "title": model.Package.title,
                  "title_string": model.Package.title}.get(sort[0], model.Package.metadata_modified)
        q = q.order_by(column.asc() if len(sort) > 1 and sort[1] == "asc" else column.desc())
        self.count = q.count()
        rows = int(query.get("rows") or 10)
        start = int(query.get("start") or 0)
        show = toolkit.get_action("package_show")
        fields = (query.get("fl") or "id validated_data_dict").split()
        self.results = []
        for pkg in q.offset(start).limit(rows):
            pkg_dict = show({"ignore_auth": True, "use_cache": False}, {"id": pkg.id})
            doc = dict(pkg_dict, validated_data_dict=json.dumps(pkg_dict), data_dict=json.dumps(pkg_dict))
            self.results.append({f: doc.get(f) for f in fields})
        self.facets = _facets(q, query)
        return {"results": self.results, "count": self.count}


def _facet_fields(query: dict[str, Any]) -> list[str]:
    fields = query.get("facet.field") or []
    if isinstance(fields, str):
        fields = json.loads(fields) if fields.startswith("[") else [fields]
    return list(fields)


def _facets(matching: Any, query: dict[str, Any]) -> dict[str, dict[str, int]]:
    """What Solr's facet counts would say, computed with SQL over the datasets the query matched.

    The organisation list, organisation pages and the search page's filters all read these
    (group_dictize raises KeyError('owner_org') when they are missing).
    """
    if str(query.get("facet", "true")).lower() == "false":
        return {}
    ids = matching.with_entities(model.Package.id).order_by(None).subquery()
    n = sa.func.count(sa.distinct(model.Package.id))
    in_ids = model.Package.id.in_(sa.select(ids.c.id))
    member = (model.Session.query(model.Group.name, n)
              .join(model.Member, model.Member.group_id == model.Group.id)
              .join(model.Package, model.Package.id == model.Member.table_id)
              .filter(in_ids, model.Member.table_name == "package", model.Member.state == "active",
                      model.Group.state == "active", model.Group.is_organization.is_(False)))
    counts = {
        "owner_org": lambda: model.Session.query(model.Package.owner_org, n).filter(in_ids)
        .group_by(model.Package.owner_org),
        "organization": lambda: model.Session.query(model.Group.name, n)
        .join(model.Package, model.Package.owner_org == model.Group.id).filter(in_ids)
        .group_by(model.Group.name),
        "groups": lambda: member.group_by(model.Group.name),
        "tags": lambda: model.Session.query(model.Tag.name, n)
        .join(model.PackageTag, model.PackageTag.tag_id == model.Tag.id)
        .join(model.Package, model.Package.id == model.PackageTag.package_id)
        .filter(in_ids, model.PackageTag.state == "active").group_by(model.Tag.name),
        "res_format": lambda: model.Session.query(model.Resource.format, n)
        .join(model.Package, model.Package.id == model.Resource.package_id)
        .filter(in_ids, model.Resource.state == "active").group_by(model.Resource.format),
        "license_id": lambda: model.Session.query(model.Package.license_id, n).filter(in_ids)
        .group_by(model.Package.license_id),
    }
    limit = int(query.get("facet.limit") or 50)
    mincount = int(query.get("facet.mincount") or 1)
    facets: dict[str, dict[str, int]] = {}
    for field in _facet_fields(query):
        if field not in counts:
            facets[field] = {}
            continue
        pairs = sorted(((k, c) for k, c in counts[field]() if k and c >= mincount), key=lambda kc: (-kc[1], kc[0]))
        facets[field] = dict(pairs if limit < 0 else pairs[:limit])
    return facets


class NoSolrPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)

    def update_config(self, config: Any) -> None:
        search._INDICES["package"] = NoopPackageSearchIndex
        search._QUERIES["package"] = DatabasePackageSearchQuery
        # model_dictize builds PackageSearchQuery() by name for organisation package counts
        search.PackageSearchQuery = DatabasePackageSearchQuery
        search.PackageSearchIndex = NoopPackageSearchIndex
