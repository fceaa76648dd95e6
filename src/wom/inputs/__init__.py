"""Users' data files read into plain arrays: conversation graphs and their segment labels."""

from wom.inputs.graphfile import GraphFileSpec, load_graph
from wom.inputs.parsers import COMMUNITY_PREFIX, SUFFIX_FORMATS, GraphFileError, LoadedGraph

__all__ = ["COMMUNITY_PREFIX", "SUFFIX_FORMATS", "GraphFileError", "GraphFileSpec",
           "LoadedGraph", "load_graph"]
