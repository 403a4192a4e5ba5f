"""The layer-kind registry: what each kind of layer is, declared once.

Every module that lists, draws, imports, edits or searches layers reads :data:`KINDS` instead of
naming kinds: the map (``render/map.py``, which also hands the point kinds to ``ambmap.js``), the print
layout (``export/layout.py``), the layer panel, the attribute table, the feature form, the import
wizard and mapping, and the CLI. How a kind is drawn is a ``drawing`` name (« points », « grid »…)
that the map and the print layout each look up in their own table of draw functions (as napari maps
layer types to visuals), and its look is a symbol key into ``ambmap.render.symbology``.

Adding a kind (say « écoles ») takes three places: its schema module, a :func:`register` call (here,
or at runtime) and a symbology entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ambmap.io import mapping
from ambmap.layers.ambassadors import AMBASSADORS
from ambmap.layers.base import LayerSchema
from ambmap.layers.poles import POLES
from ambmap.layers.population import POPULATION_GRID
from ambmap.layers.qpv import QPV
from ambmap.layers.resources import RESOURCES
from ambmap.layers.streets import PARKS, RAILWAYS, STREETS, WATER
from ambmap.layers.territory import TERRITORY

#: How a kind can be drawn (each name has a draw function on screen and on paper).
DRAWINGS = ("areas", "lines", "outline", "grid", "quarters", "points")


@dataclass(frozen=True)
class LayerKind:
    """One kind of layer.

    ``singular``/``plural`` name one feature and several (« Pôle Ressources Santé »); ``id_prefix``
    starts the identifiers the app gives new features (« PRS- »); ``importable`` kinds are offered by
    the import wizard and ``import`` command (under ``cli_names`` too), ``editable`` ones by the feature
    form; ``tabled`` ones get an attribute table; ``search_field`` names a feature in lists, tooltips and
    the HTML search; ``class_field`` (a choice field) splits the legend and symbols into one class per
    value; ``symbol`` is the key into ``ambmap.render.symbology.STYLES``; ``drawing`` one of
    :data:`DRAWINGS`; ``z`` lifts the kind's markers above the others; ``cluster`` groups its markers when
    they are many; ``legend`` names the layer in the printed legend (default: ``singular``).
    """

    schema: LayerSchema
    singular: str
    plural: str
    drawing: str
    symbol: str
    id_prefix: str = ""
    importable: bool = False
    editable: bool = False
    tabled: bool = True
    search_field: str | None = None
    class_field: str | None = None
    cli_names: tuple[str, ...] = ()
    z: int = 0
    cluster: bool = False
    legend: str = ""

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):  # written in the page's script and CSS classes
            raise ValueError(f"kind name {self.name!r}: lower-case letters, digits and _ only")
        if self.drawing not in DRAWINGS:
            raise ValueError(f"{self.name}: drawing {self.drawing!r} not in {DRAWINGS}")
        if self.schema.id_field is None:  # features are addressed by id on the map, in tables and commands
            raise ValueError(f"{self.name}: the schema names no id_field")
        for name in (self.search_field, self.class_field):
            if name is not None and name not in self.schema.names:
                raise ValueError(f"{self.name}: no field {name!r}")

    @property
    def name(self) -> str:
        return self.schema.kind

    @property
    def title(self) -> str:
        return self.schema.title

    @property
    def id_field(self) -> str:
        return self.schema.id_field or ""

    @property
    def private_fields(self) -> list[str]:
        return self.schema.private_fields

    @property
    def classes(self) -> tuple[str, ...]:
        """The class values, in legend order (none if the kind is drawn with one symbol)."""
        return self.schema.field(self.class_field).choices if self.class_field else ()

    @property
    def legend_label(self) -> str:
        return self.legend or self.singular

    @property
    def is_point(self) -> bool:
        return self.drawing == "points"


#: Every registered kind, in drawing order (bottom first).
KINDS: dict[str, LayerKind] = {}
#: Their schemas, by kind (the same order): what a project may hold.
SCHEMAS: dict[str, LayerSchema] = {}


def register(kind: LayerKind) -> LayerKind:
    """Add (or replace) ``kind``; its import mapping targets follow its schema."""
    KINDS[kind.name] = kind
    SCHEMAS[kind.name] = kind.schema
    if kind.importable:
        mapping.FIELDS[kind.name] = tuple(kind.schema.names)
    return kind


def unregister(name: str) -> None:
    """Remove kind ``name`` (tests that register their own)."""
    KINDS.pop(name, None)
    SCHEMAS.pop(name, None)
    mapping.FIELDS.pop(name, None)


def kinds(**flags) -> list[LayerKind]:
    """The kinds whose attributes equal ``flags`` (``kinds(importable=True)``), in drawing order."""
    return [k for k in KINDS.values() if all(getattr(k, a) == v for a, v in flags.items())]


def kind_of(name: str) -> LayerKind:
    """The kind registered as ``name`` or under one of its CLI names (« pôles »)."""
    for k in KINDS.values():
        if name == k.name or name in k.cli_names:
            return k
    raise KeyError(name)


# the basemap (issue 11): under everything, never imported as points nor edited; no attribute table
register(LayerKind(PARKS, "Parc", "Parcs et espaces verts", "areas", "parks", tabled=False, legend="Parc, espace vert"))
register(LayerKind(WATER, "Plan d'eau", "Eau", "areas", "water", tabled=False, legend="Cours d'eau, plan d'eau"))
register(LayerKind(STREETS, "Rue", "Rues", "lines", "streets", tabled=False, class_field="street_class"))
register(LayerKind(RAILWAYS, "Voie ferrée", "Voies ferrées", "lines", "railways", tabled=False))
register(LayerKind(TERRITORY, "Commune", "Communes", "outline", "territory", search_field="nom", legend="Territoire"))
register(LayerKind(POPULATION_GRID, "Carreau", "Carreaux", "grid", "population", tabled=False))
register(
    LayerKind(
        QPV,
        "Quartier",
        "Quartiers prioritaires",
        "quarters",
        "qpv",
        search_field="nom_qp",
        legend="Quartier prioritaire (QPV)",
    )
)
register(
    LayerKind(
        RESOURCES,
        "Ressource de santé",
        "Ressources de santé",
        "points",
        "resources",
        id_prefix="RES-",
        importable=True,
        editable=True,
        search_field="name",
        class_field="category",
        cli_names=("ressources",),
        cluster=True,
    )
)
register(
    LayerKind(
        POLES,
        "Pôle Ressources Santé",
        "Pôles Ressources Santé",
        "points",
        "poles",
        id_prefix="PRS-",
        importable=True,
        editable=True,
        search_field="name",
        cli_names=("pôles",),
        z=1000,
    )
)
register(
    LayerKind(
        AMBASSADORS,
        "Ambassadeur·rice",
        "Ambassadeurs·rices",
        "points",
        "ambassadors",
        id_prefix="AMB-",
        importable=True,
        editable=True,
        search_field="display_name",
        class_field="status",
        cli_names=("ambassadeurs",),
        cluster=True,
        legend="Ambassadeur·rice (domicile)",
    )
)
