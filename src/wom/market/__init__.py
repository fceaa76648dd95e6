"""The market: people, their traits and the conversation graph (CSR), and where to draw them.

Importing it registers the graph models (``planted_partition``, ``lfr``, …) by name.
"""

# Register the graph models, the default (planted_partition) first: choices list in this order.
from wom.market import partition  # noqa: F401, I001
from wom.market import graphs  # noqa: F401
from wom.market.attributes import Traits
from wom.market.customers import LONG_AGO, with_customers
from wom.market.layout import segment_layout, segment_positions
from wom.market.partition import cross_expected, cross_shares, gnp_block
from wom.market.population import Existing, Population, build_population, draw_traits, to_csr

__all__ = ["LONG_AGO", "Existing", "Population", "Traits", "build_population", "cross_expected",
           "cross_shares", "draw_traits", "gnp_block",
           "segment_layout", "segment_positions", "to_csr", "with_customers"]
