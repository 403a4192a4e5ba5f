"""Undoable edits of a layer's rows (QUndoCommand): add, edit, move and delete features.

Every edit swaps the layer's whole validated frame: the old frame is kept for Undo, and the layer's
``changed("data")`` signal tells every view (map, table, panels) to refresh.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from PySide6.QtGui import QUndoCommand
from shapely.geometry import Point

from ambmap.layers import Layer, validate
from ambmap.layers.ambassadors import date_status_changes


class SetLayerData(QUndoCommand):
    """Replace ``layer.data`` by the full frame ``new``; Undo puts the old frame back.

    Raises ValidationError at construction when ``new`` is refused, so nothing is pushed.
    """

    def __init__(self, layer: Layer, new: gpd.GeoDataFrame, text: str):
        super().__init__(text)
        self.layer = layer
        self.old = layer.data
        if layer.kind == "ambassadors":  # a status edited today is dated today
            new = date_status_changes(layer.data, new)
        self.new = validate(layer.schema, new, layer.title)  # refuse before the command is pushed

    def redo(self) -> None:
        self.layer.data = self.new

    def undo(self) -> None:
        self.layer.data = self.old


class ReplaceLayer(QUndoCommand):
    """Put a new Layer object (data and provenance, e.g. after an import) in the project; Undo restores."""

    def __init__(self, project, new: Layer, text: str):
        super().__init__(text)
        self.project, self.new = project, new
        self.old = project.layers.get(new.kind)
        if new.kind == "ambassadors" and self.old is not None:  # a re-import keeps and extends the dated history
            new.data = date_status_changes(self.old.data, new.data)

    def redo(self) -> None:
        self.project.set_layer(self.new)

    def undo(self) -> None:
        if self.old is not None:
            self.project.set_layer(self.old)


def _row_index(layer: Layer, feature_id: str) -> int:
    ids = layer.data[layer.schema.id_field].astype(str)
    matches = ids.index[ids == str(feature_id)]
    if not len(matches):
        raise KeyError(feature_id)
    return matches[0]


def add_feature(layer: Layer, values: dict, lat: float, lon: float) -> SetLayerData:
    """Command adding one row with ``values`` at (lat, lon)."""
    row = gpd.GeoDataFrame([values], geometry=[Point(lon, lat)], crs=layer.data.crs)
    new = pd.concat([layer.data, row], ignore_index=True) if len(layer) else row
    name = values.get("name") or values.get("display_name") or values.get(layer.schema.id_field, "")
    return SetLayerData(
        layer, gpd.GeoDataFrame(new, geometry="geometry", crs=layer.data.crs), f"Ajouter « {name} » ({layer.title})"
    )


def move_feature(layer: Layer, feature_id: str, lat: float, lon: float) -> SetLayerData:
    new = layer.data.copy()
    new.loc[_row_index(layer, feature_id), "geometry"] = Point(lon, lat)
    return SetLayerData(layer, new, f"Déplacer « {feature_id} » ({layer.title})")


def edit_features(layer: Layer, changes: dict[str, dict], text: str | None = None) -> SetLayerData:
    """One command setting ``changes`` ({feature id: {field: value}}) on rows of ``layer``: a form, a
    table cell or a bulk change of several rows is one step of Undo. Raises ValidationError (nothing
    changed) when a value is refused, and KeyError for an unknown id."""
    new = layer.data.copy()
    for name in {name for values in changes.values() for name in values}:
        new[name] = new[name].astype(object)  # any value may be typed in; validation gives the type back
    for feature_id, values in changes.items():
        row = _row_index(layer, feature_id)
        for name, value in values.items():
            new.at[row, name] = value
    if text is None:
        ids = list(changes)
        text = (
            f"Modifier « {ids[0]} » ({layer.title})"
            if len(ids) == 1
            else f"Modifier {len(ids)} éléments ({layer.title})"
        )
    return SetLayerData(layer, new, text)


def delete_feature(layer: Layer, feature_id: str) -> SetLayerData:
    new = layer.data.drop(index=_row_index(layer, feature_id)).reset_index(drop=True)
    return SetLayerData(layer, new, f"Supprimer « {feature_id} » ({layer.title})")
