from setuptools import setup

setup(
    name="ckanext-nosolr",
    version="0.2.0",
    description=("Demo/test stand-in for Solr (no-op indexing, package_search and its facets answered "
                 "from the database) and the city portal's theme and schema"),
    packages=["ckanext_nosolr"],
    package_data={"ckanext_nosolr": ["templates/*/*.html", "templates/*/*/*.html", "public/citylake/*",
                                     "*.yaml", "*.json"]},
    entry_points={"ckan.plugins": ["citylake_nosolr = ckanext_nosolr.plugin:NoSolrPlugin",
                                   "citylake_portal = ckanext_nosolr.portal:CityPortalPlugin"],
                  "ckan.rdf.profiles": ["citylake_dcat = ckanext_nosolr.dcat_profile:CityDCATProfile"]},
)
