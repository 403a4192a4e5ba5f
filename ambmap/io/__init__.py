"""The user's local files: table readers (CSV as French Excel writes them, XLSX, GeoJSON, GeoPackage,
Shapefile), column mapping and coordinate-system detection. No network here: see ``ambmap.fetch``."""
