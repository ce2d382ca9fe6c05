"""The visual field-mapping constructor: edits the ``mappings`` of one sync profile.

Split like orange-canvas-core: a plain model, undo commands, canvas items and scene, gesture state
machines, a table view over the same model, and the composite widget the studio embeds.
"""

from widgets.mapping.model import MappingModel
from widgets.mapping.widget import MappingConstructor

__all__ = ["MappingConstructor", "MappingModel"]
