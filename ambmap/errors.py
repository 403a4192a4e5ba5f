"""Errors that carry a French message for the user and keep the technical cause for the log."""

from __future__ import annotations

import errno


class AmbmapError(Exception):
    """Base error: ``message`` is plain French meant for the user (what went wrong, what to do)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(AmbmapError):
    """One or more wrong values in a layer; each problem names layer, row and field."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [p.describe() for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"… et {len(problems) - 20} autre(s) erreur(s).")
        super().__init__("\n".join(lines))


class Problem:
    """A single wrong value: where it is and why it is refused."""

    __slots__ = ("layer", "row", "field", "reason", "file", "label")

    def __init__(
        self,
        layer: str,
        row: int | None,
        field: str | None,
        reason: str,
        file: str | None = None,
        label: str | None = None,
    ):
        self.layer, self.row, self.field, self.reason, self.file = layer, row, field, reason, file
        self.label = label  # the field's French name, as the user sees it in the window

    def describe(self) -> str:
        where = [f"couche « {self.layer} »"]
        if self.file:
            where.insert(0, f"fichier « {self.file} »")
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.label and self.label != self.field:
            where.append(f"champ « {self.label} » ({self.field})")
        elif self.field:
            where.append(f"champ « {self.field} »")
        return f"{', '.join(where)} : {self.reason}"

    def __repr__(self) -> str:
        return f"Problem({self.describe()!r})"


class ProjectFileError(AmbmapError):
    """A project file cannot be read or written."""


class ProjectWriteError(ProjectFileError):
    """A project cannot be saved (disk full, no rights): not the user's data, the old file is intact."""


class ProjectConflictError(ProjectWriteError):
    """The project file changed on disk since it was read (another window or program saved it): not replaced."""


class SourceError(AmbmapError):
    """A remote official source failed (network, server, format)."""


class ImportFileError(AmbmapError):
    """A user file cannot be imported at all (unreadable, empty, unknown format)."""


class AnalysisError(AmbmapError, ValueError):
    """An analysis cannot run on these data or parameters (no QPV, bad radius, impossible target)."""


class UsageError(AmbmapError, ValueError):
    """A wrong choice of the user (unknown QPV code or layer, an output that is the project itself)."""


class CancelledError(AmbmapError):
    """The user cancelled a long task; nothing was changed."""

    def __init__(self, message: str = "Opération annulée : rien n'a été modifié."):
        super().__init__(message)


_OS_REASONS = {
    errno.ENOENT: "dossier ou fichier introuvable",
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "disque en lecture seule",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EDQUOT: "quota disque dépassé",
    errno.EBUSY: "fichier occupé par un autre programme",
}


def os_reason(error: OSError) -> str:
    """The reason of a system error in plain French (the system's own text, in English, when unknown)."""
    return (error.errno is not None and _OS_REASONS.get(error.errno)) or error.strerror or str(error)
