"""Drawing glassgrad graphs with Graphviz and stepping through backward."""
