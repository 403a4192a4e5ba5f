"""Write the import corpus of tests/data/imports (run from the repository root; the outputs are committed)."""

import datetime
import pathlib
import tempfile
import zipfile

import geopandas as gpd
import openpyxl
from shapely.geometry import Point

out = pathlib.Path("tests/data/imports")


def w(name, text, enc="utf-8"):
    (out / name).write_bytes(text.encode(enc))


# 1 French Excel CSV: UTF-8 with BOM, ';', decimal commas
w(
    "poles_excel_utf8.csv",
    "\ufeffIdentifiant;Nom;Adresse;Téléphone;Latitude;Longitude\r\n"
    "PRS-1;Pôle Santé Lille-Sud;5 bd de Belfort, 59000 Lille;03 20 00 00 01;50,6103;3,0525\r\n"
    "PRS-2;Pôle Santé Moulins;12 rue Nationale, 59000 Lille;03 20 00 00 02;50,6220;3,0674\r\n",
)
# 2 Windows-1252, ';', addresses only -> geocoded
w(
    "poles_windows1252.csv",
    "Identifiant;Nom du pôle;Adresse\r\nP1;Pôle Wazemmes – Fbg de Béthune;40 rue de Wazemmes, 59000 Lille\r\n"
    "P2;Pôle Théâtre;1 place du Théâtre, 59000 Lille\r\n",
    "cp1252",
)
# 3 ',' separator with quoted commas
w(
    "resources_comma.csv",
    "id,nom,categorie,adresse,lat,lon\n"
    'R1,"Pharmacie du Centre, Lille",pharmacie,"3 rue Nationale, 59000 Lille",50.6300,3.0600\n'
    'R2,Centre de santé Wazemmes,centre de santé,"40 rue de Wazemmes, 59000 Lille",50.6320,3.0450\n'
    "R3,Cabinet Dr Martin,Médecin généraliste,,50.6250,3.0500\n",
)
# 4 tab-separated .txt
w(
    "resources_tabs.txt",
    "Identifiant\tNom\tCatégorie\tLatitude\tLongitude\nT1\tPMI Fives\tPMI\t50.6280\t3.0900\nT2\tCMP Sud\tsanté mentale (CMP)\t50.6150\t3.0500\n",
)
# 6 empty
w("empty.csv", "")
# 7 header only
w("header_only.csv", "Identifiant;Nom;Adresse\r\n")
# 8 missing required column (no name)
w(
    "missing_name_column.csv",
    "Identifiant;Adresse;Latitude;Longitude\r\nP1;1 place du Théâtre, 59000 Lille;50.63;3.06\r\n",
)
# 9 swapped lat/lon on one row
w(
    "swapped_coordinates.csv",
    "id;nom;categorie;latitude;longitude\r\nS1;Pharmacie A;pharmacie;50.6300;3.0600\r\nS2;Pharmacie B;pharmacie;3.0650;50.6310\r\n",
)
# 10 Lambert-93 x/y
w(
    "lambert93.csv",
    "id;nom;categorie;X;Y\r\nL1;Pharmacie du Centre;pharmacie;704265,3;7059295,4\r\nL2;Hôpital Saint-Vincent;hôpital/clinique;702517.6;7057085.7\r\n",
)
# 11 duplicate ids
w(
    "duplicate_ids.csv",
    "id;nom;categorie;lat;lon\r\nD1;Pharmacie A;pharmacie;50.63;3.06\r\nD2;Pharmacie B;pharmacie;50.631;3.061\r\nD1;Pharmacie C;pharmacie;50.632;3.062\r\n",
)
# 12 bad values (ambassadors)
w(
    "ambassadors_bad_values.csv",
    "Pseudonyme;Nom affiché;Adresse;Statut;Langues parlées;Date d'entrée;Rayon (m);Latitude;Longitude\r\n"
    'AMB-1;Amina;;actif;"français; arabe";01/09/2023;500;50.620;3.050\r\n'
    "AMB-2;Karim;;en vacances;français;15/01/2024;;50.621;3.051\r\n"
    "AMB-3;Sofia;;en formation;français, portugais;31/02/2024;;50.622;3.052\r\n"
    "AMB-4;Lucas;;inactif;;2024-03-01;-50;50.623;3.053\r\n",
)
# 13 blank lines between rows
w(
    "blank_lines.csv",
    "id;nom;categorie;lat;lon\r\nB1;Pharmacie A;pharmacie;50.63;3.06\r\n\r\n;;;;\r\nB2;Pharmacie B;pharmacie;50.631;abc\r\n",
)
# 14 low score + 15 unknown address + 16 nothing
w(
    "ambassadors_addresses.csv",
    "id;nom;adresse;statut\r\nA1;Awa;12 rue Nationale, 59000 Lille;actif\r\nA2;Ben;rue du Moulin, Lille;actif\r\n"
    "A3;Chloé;99 rue qui n'existe pas, 59000 Lille;actif\r\nA4;Dylan;;actif\r\n",
)
# 17 GeoJSON: a point, a polygon (refused), a null geometry with an address (geocoded)
(out / "resources.geojson").write_text(
    """{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"id": "G1", "nom": "Pharmacie des Halles", "categorie": "pharmacie"}, "geometry": {"type": "Point", "coordinates": [3.055, 50.632]}},
 {"type": "Feature", "properties": {"id": "G2", "nom": "Parc", "categorie": "autre"}, "geometry": {"type": "Polygon", "coordinates": [[[3.05, 50.62], [3.06, 50.62], [3.06, 50.63], [3.05, 50.62]]]}},
 {"type": "Feature", "properties": {"id": "G3", "nom": "Centre de santé Théâtre", "categorie": "centre de santé", "adresse": "1 place du Théâtre, 59000 Lille"}, "geometry": null}
]}""",
    encoding="utf-8",
)
# 18 GeoPackage in Lambert-93
gpd.GeoDataFrame(
    {"code_pole": ["PRS-A", "PRS-B"], "nom": ["Pôle A", "Pôle B"]},
    geometry=[Point(704265.3, 7059295.4), Point(702517.6, 7057085.7)],
    crs="EPSG:2154",
).to_file(out / "poles_lambert93.gpkg", driver="GPKG")
# 19 Shapefile (zipped)
tmp = pathlib.Path(tempfile.mkdtemp())
gpd.GeoDataFrame(
    {"id": ["Z1", "Z2"], "nom": ["Pharmacie Z", "Dentiste Z"], "categorie": ["pharmacie", "dentiste"]},
    geometry=[Point(3.06, 50.63), Point(3.07, 50.62)],
    crs="EPSG:4326",
).to_file(tmp / "ressources.shp")
with zipfile.ZipFile(out / "resources_shapefile.zip", "w") as z:
    for f in tmp.iterdir():
        z.write(f, f.name)
# 19b a .shp without its .dbf/.shx
(out / "lonely.shp").write_bytes((tmp / "ressources.shp").read_bytes())
# 20 xlsx renamed .csv + 5 xlsx
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["Identifiant", "Nom affiché", "Statut", "Langues", "Date d'entrée", "Latitude", "Longitude"])
ws.append(["AMB-10", "Nadia", "actif", "français; wolof", datetime.datetime(2023, 9, 1), 50.6201, 3.0502])
ws.append(["AMB-11", "Omar", "En formation", "arabe", datetime.datetime(2024, 1, 15), 50.6251, 3.0552])
ws.append([None, None, None, None, None, None, None])
ws.append([12, "Paul", "actif", "", "2024-02-01", "50,6301", "3,0602"])
wb.save(out / "ambassadors.xlsx")
(out / "excel_renamed.csv").write_bytes((out / "ambassadors.xlsx").read_bytes())
# 21 ragged row
w(
    "ragged.csv",
    "id;nom;categorie;lat;lon\r\nR1;Pharmacie A;pharmacie;50.63;3.06\r\nR2;Pharmacie;B;pharmacie;50.63;3.06\r\n",
)
# 23 coordinates outside France / zero
w(
    "outside_france.csv",
    "id;nom;categorie;adresse;lat;lon\r\nO1;Pharmacie A;pharmacie;;0;0\r\nO2;Pharmacie B;pharmacie;12 rue Nationale, 59000 Lille;95.5;200.1\r\nO3;Pharmacie C;pharmacie;;50.63;3.06\r\n",
)
# 25 unknown format
(out / "notes.pdf").write_bytes(b"%PDF-1.4 not a table")
# 26 postcode and city in separate columns
w("poles_split_address.csv", "id;nom;adresse;code postal;ville\r\nP1;Pôle Nationale;12 rue Nationale;59000;Lille\r\n")

# 27 Excel's « sep=; » hint line: header on line 2
w(
    "excel_sep_hint.csv",
    "sep=;\r\nid;nom;categorie;lat;lon\r\nH1;Pharmacie A;pharmacie;50,63;3,06\r\nH2;Pharmacie B;boulangerie;50,631;3,061\r\n",
)
# 28 Excel « Texte Unicode »: UTF-16 with BOM, tab-separated, no id column
(out / "unicode_text.txt").write_bytes(
    "Nom\tCatégorie\tLatitude\tLongitude\r\nDentiste Œuvre\tdentiste\t50.62\t3.05\r\n".encode("utf-16")
)
# 29 a sheet with a title and a blank row above the table (the header is on row 3)
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["Liste des pôles ressources santé — mise à jour 2024"])
ws.append([])
ws.append(["Code", "Nom du pôle", "Latitude", "Longitude"])
ws.append(["PRS-7", "Pôle Fives", 50.6300, 3.0900])
ws.append(["PRS-8", "Pôle Bois-Blancs", "abc", 3.0300])
wb.save(out / "poles_title_rows.xlsx")
# 30 the same in CSV, separator found below the title line
w(
    "poles_title_rows.csv",
    "Liste des pôles 2024\r\n\r\nCode;Nom du pôle;Latitude;Longitude\r\nPRS-7;Pôle Fives;50,63;3,09\r\n",
)
