"""The user's local files: table readers (CSV as French Excel writes them, XLSX, GeoJSON, GeoPackage,
Shapefile), column mapping, coordinate-system detection and the points of ``ambmap recommend``. No network
here: imports that geocode live in ``ambmap.imports``."""
