"""Official remote data -> GeoDataFrames: one module per API, all HTTP through :mod:`ambmap.sources.http`.

``communes`` (geo.api.gouv.fr outlines and search), ``qpv`` (QPV 2024 perimeters, INSEE population),
``geocoding`` (Géoplateforme address search, single and batch), ``overpass`` (OpenStreetMap health
resources), ``finess`` (FINESS geolocated extract), ``health`` (both merged without duplicates),
``wmts`` (Plan IGN tiles). Base URLs come from :class:`ambmap.config.Settings`.
"""
