from setuptools import setup

setup(
    name="ckanext-nosolr",
    version="0.1.0",
    description="Demo/test stand-in for Solr: no-op indexing, package_search answered from the database",
    packages=["ckanext_nosolr"],
    entry_points={"ckan.plugins": ["citylake_nosolr = ckanext_nosolr.plugin:NoSolrPlugin"]},
)
