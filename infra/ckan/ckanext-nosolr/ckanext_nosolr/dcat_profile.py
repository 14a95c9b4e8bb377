"""DCAT additions for the city portal: titles and descriptions in Vietnamese and English, the
licence on the dataset as well as on each distribution."""
from __future__ import annotations

from typing import Any

from ckanext.dcat.profiles import RDFProfile
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS


class CityDCATProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        g = self.g
        for predicate, vi, en in ((DCTERMS.title, "title", "title_en"), (DCTERMS.description, "notes", "notes_en")):
            if dataset_dict.get(vi):
                g.remove((dataset_ref, predicate, None))
                g.add((dataset_ref, predicate, Literal(dataset_dict[vi], lang="vi")))
            if dataset_dict.get(en):
                g.add((dataset_ref, predicate, Literal(dataset_dict[en], lang="en")))
        if dataset_dict.get("license_url"):
            g.add((dataset_ref, DCTERMS.license, URIRef(dataset_dict["license_url"])))
