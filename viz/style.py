"""The look of a drawing: colours and Graphviz attributes for each kind of node and edge."""

from __future__ import annotations

FONT = "Helvetica"
CAPTION_FONT = "Courier"

GRAPH = {"fontname": FONT, "nodesep": "0.25", "ranksep": "0.35", "bgcolor": "white"}
NODE = {"fontname": FONT, "fontsize": "11"}
#: ``penwidth`` is declared here although 1 is Graphviz's default: dot lays a graph out slightly
#: differently when an edge attribute is first declared on a later edge (the flipbook's focus
#: edges), so without it the frames of one graph would not share one layout.
EDGE = {"fontname": FONT, "fontsize": "9", "arrowsize": "0.6", "color": "#555555",
        "fontcolor": "#1e3a8a", "penwidth": "1"}

#: Value nodes, by kind. Parameters are what training changes, inputs are labelled leaves that are
#: not parameters (when ``params=`` says which are), constants are unlabelled leaves.
VALUE = {"shape": "record", "style": "filled", "fillcolor": "white", "color": "#333333"}
KIND = {
    "parameter": {"fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "input": {"fillcolor": "#dcfce7", "color": "#15803d"},
    "constant": {"fillcolor": "#f3f4f6", "color": "#9ca3af", "style": "filled,dashed",
                 "fontcolor": "#4b5563", "fontsize": "9"},
    "inner": {},
}
ROOT = {"fillcolor": "#fef3c7", "color": "#b45309", "penwidth": "2.5"}

OP = {"shape": "circle", "style": "filled", "fillcolor": "#f5f5f5", "color": "#666666",
      "fontsize": "10", "margin": "0.02", "width": "0.3"}

#: Where an edge enters a layer's column (``viz.columns``): a point the edge passes through.
PORT = {"shape": "point", "width": "0", "height": "0", "style": "invis"}

BOX = {"shape": "Mrecord", "style": "filled", "fillcolor": "#ede9fe", "color": "#6d28d9"}

CLUSTER = {"style": "rounded,filled", "color": "#c4c4c4", "fillcolor": "#fafafa",
           "fontsize": "10", "fontcolor": "#555555", "labeljust": "l", "fontname": FONT}

#: One colour per highlighted target, in order; chosen to stay apart for colour-blind readers.
HIGHLIGHT = ("#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777")
HIGHLIGHT_WIDTH = "2.2"
TARGET_WIDTH = "3"

#: The node whose backward step is shown, and the edges that step writes into.
FOCUS = {"color": "#ea580c", "fillcolor": "#ffedd5", "penwidth": "3"}
FOCUS_EDGE = {"color": "#ea580c", "penwidth": "3", "fontcolor": "#c2410c"}

CAPTION = {"labelloc": "b", "labeljust": "l", "fontname": CAPTION_FONT, "fontsize": "11"}

#: Nodes whose data is inf or nan (``anomalies=True``), and the first of them, where it started.
ANOMALY = {"color": "#b91c1c", "fillcolor": "#fee2e2", "fontcolor": "#7f1d1d"}
FIRST_ANOMALY = {"color": "#b91c1c", "fillcolor": "#fca5a5", "penwidth": "3.5",
                 "style": "filled,bold"}
