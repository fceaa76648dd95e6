"""Users' data files read into plain arrays: conversation graphs, people, adoption, customers."""

from wom.inputs.adoptions import (
    PersonAdoptions,
    PersonCustomers,
    SegmentAdoptions,
    SegmentCustomers,
    read_adoptions,
    read_customers,
)
from wom.inputs.graphfile import GraphFileSpec, load_graph
from wom.inputs.parsers import COMMUNITY_PREFIX, SUFFIX_FORMATS, GraphFileError, LoadedGraph
from wom.inputs.tables import DataFileError, read_table

__all__ = ["COMMUNITY_PREFIX", "SUFFIX_FORMATS", "DataFileError", "GraphFileError",
           "GraphFileSpec", "LoadedGraph", "PersonAdoptions", "PersonCustomers",
           "SegmentAdoptions", "SegmentCustomers", "load_graph", "read_adoptions",
           "read_customers", "read_table"]
