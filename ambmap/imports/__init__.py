"""Import a user's file (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) into a pôles, ambassadors or resources
layer, keep the rows it cannot place « à placer », place them later; streets and official layers from files.

``points`` reads a file into rows (placed, « à placer », refused, to check), ``into_project`` says and
does what the project receives and places waiting rows, ``streets`` reads a line file, ``official``
reads territory, QPV and population files. Every function works on new objects and hands them back
(or swaps a project's layer at the very end), so a failure leaves the project as it was.
Official downloads live in :mod:`ambmap.fetch`.
"""

from ambmap.imports.into_project import (
    EDITED,
    NO_ADDRESS,
    ImportPlan,
    apply_import,
    drop_to_place,
    edit_to_place,
    geocode_layer,
    geocode_to_place,
    geocode_waiting,
    id_pattern,
    name_field,
    next_id,
    place_rows,
    plan_import,
    planned_layer,
    to_place_label,
)
from ambmap.imports.official import (
    COMMUNE_SLIVER_M2,
    LAYER_FILE_KINDS,
    LayerFileResult,
    apply_layer_file,
    build_project_from_files,
    read_layer_file,
    read_population_file,
    read_qpv_file,
    read_territory_file,
)
from ambmap.imports.points import (
    ID_WIDTH,
    IMPORTABLE,
    OUTSIDE_MARGIN_M,
    PERSONAL_DATA_NOTICE,
    ImportResult,
    import_file,
    joined_address,
    preview,
)
from ambmap.imports.streets import STREET_CLASS_COLUMNS, STREET_ID_COLUMNS, STREET_NAME_COLUMNS, import_streets

__all__ = [
    "EDITED",
    "NO_ADDRESS",
    "COMMUNE_SLIVER_M2",
    "ID_WIDTH",
    "IMPORTABLE",
    "LAYER_FILE_KINDS",
    "OUTSIDE_MARGIN_M",
    "PERSONAL_DATA_NOTICE",
    "STREET_CLASS_COLUMNS",
    "STREET_ID_COLUMNS",
    "STREET_NAME_COLUMNS",
    "ImportPlan",
    "ImportResult",
    "LayerFileResult",
    "apply_import",
    "apply_layer_file",
    "drop_to_place",
    "edit_to_place",
    "build_project_from_files",
    "geocode_layer",
    "geocode_to_place",
    "geocode_waiting",
    "id_pattern",
    "name_field",
    "next_id",
    "import_file",
    "import_streets",
    "joined_address",
    "place_rows",
    "plan_import",
    "planned_layer",
    "preview",
    "read_layer_file",
    "read_population_file",
    "read_qpv_file",
    "read_territory_file",
    "to_place_label",
]
