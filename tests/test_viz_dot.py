"""viz.draw_dot checked on its DOT text, without running the Graphviz dot program."""

from __future__ import annotations

import re

import pytest

from engine import Value, name_scope, topological_order
from tests.support import neuron
from viz import GraphvizNotFoundError, draw_dot, node_names, op_node_name, save, style
from viz.dot import draw_scene
from viz.format import compact
from viz.scene import select_scene

pytest.importorskip("graphviz")

NODE = re.compile(r"^\t*(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\t*(\w+) -> (\w+)(?: \[(.*)\])?$")
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def attrs(text: str | None) -> dict[str, str]:
    found = dict(ATTR.findall(text or ""))
    return {k: v[1:-1] if v.startswith('"') else v for k, v in found.items()}


def parse(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """The nodes (name -> attributes) and edges (tail, head, attributes) of DOT text."""
    nodes: dict[str, dict[str, str]] = {}
    edges = []
    for line in source.splitlines():
        if m := EDGE.match(line):
            edges.append((m[1], m[2], attrs(m[3])))
        elif (m := NODE.match(line)) and m[1] not in ("graph", "node", "edge"):
            nodes[m[1]] = attrs(m[2])
    return nodes, edges




def test_nodes_and_edges_of_the_neuron() -> None:
    v = neuron()
    o = v["o"]
    o.backward()
    nodes, edges = parse(draw_dot(o).source)
    values = [n for n in nodes if not n.endswith("op")]
    ops = [n for n in nodes if n.endswith("op")]
    assert len(values) == 10 and len(ops) == 5  # 5 leaves, 5 results; one op per result
    assert len(edges) == 5 + 9  # op -> result, and one edge per parent use
    assert {nodes[n]["shape"] for n in values} == {"record"}
    assert {nodes[n]["shape"] for n in ops} == {"circle"}
    names = node_names(topological_order(o))
    assert nodes[names[v["x1"]]]["label"] == "{x1 | data 2 | grad -1.5}"
    assert nodes[names[o]]["label"] == "{o | data 0.7071 | grad 1}"
    assert nodes[op_node_name(names[o])]["label"] == "tanh"
    # every op node feeds exactly its own result
    for op in ops:
        assert [(t, h) for t, h, _ in edges if t == op] == [(op, op[:-2])]


def test_each_edge_carries_its_local_derivative() -> None:
    v = neuron()
    o = v["o"]
    o.backward()
    names = node_names(topological_order(o))
    _, edges = parse(draw_dot(o).source)
    labels = {(t, h): a.get("label") for t, h, a in edges}
    tooltips = {(t, h): a.get("tooltip") for t, h, a in edges}
    x1w1 = o._prev[0]._prev[0]._prev[0]  # o = tanh(n), n = (x1w1 + x2w2) + b
    assert x1w1._prev == (v["x1"], v["w1"])
    head = op_node_name(names[x1w1])
    assert labels[(names[v["x1"]], head)] == "-3"  # d(x1 w1)/dx1 = w1
    assert labels[(names[v["w1"]], head)] == "2"  # d(x1 w1)/dw1 = x1
    local = 1.0 - o.data**2
    assert labels[(names[v["n"]], op_node_name(names[o]))] == compact(local)
    assert tooltips[(names[v["n"]], op_node_name(names[o]))] == f"∂o/∂n = {local!r}"
    # show_local=False: no numbers on the edges
    _, bare = parse(draw_dot(o, show_local=False).source)
    assert all("label" not in a for _, _, a in bare)


def test_a_times_a_draws_two_edges_into_the_op() -> None:
    a = Value(3.0, label="a")
    out = a * a
    nodes, edges = parse(draw_dot(out).source)
    into_op = [(t, h, x["label"]) for t, h, x in edges if h == "v1op"]
    assert into_op == [("v0", "v1op", "3"), ("v0", "v1op", "3")]
    assert len(nodes) == 3


def build_twice() -> tuple[str, str]:
    sources = []
    for _ in range(2):
        v = neuron()
        v["o"].backward()
        sources.append(draw_dot(v["o"], highlight=v["w1"]).source)
    return sources[0], sources[1]


def test_same_graph_same_dot_text_byte_for_byte() -> None:
    first, second = build_twice()
    assert first == second
    nodes, _ = parse(first)
    assert all(re.fullmatch(r"v\d+(op)?", n) for n in nodes)


def test_record_layout_follows_rankdir_and_show_grad() -> None:
    a = Value(2.0, label="a")
    out = a.exp()
    nodes, _ = parse(draw_dot(out, rankdir="TB").source)
    assert nodes["v0"]["label"] == "a | data 2 | grad 0"  # fields across, no braces in TB
    nodes, _ = parse(draw_dot(out, show_grad=False).source)
    assert nodes["v0"]["label"] == "{a | data 2}"
    with pytest.raises(ValueError, match=r"rankdir must be one of .*, got 'XY'"):
        draw_dot(out, rankdir="XY")


def test_leaf_kinds_and_root_look_different() -> None:
    x = Value(1.5, label="x")
    w = Value(-2.0, label="w")
    out = (x * w + 1.0).relu()
    names = node_names(topological_order(out))
    constant = out._prev[0]._prev[1]
    nodes, _ = parse(draw_dot(out).source)
    assert nodes[names[x]]["fillcolor"] == style.KIND["parameter"]["fillcolor"]
    assert "dashed" in nodes[names[constant]]["style"]
    assert nodes[names[constant]]["label"] == "{data 1 | grad 0}"
    assert nodes[names[out]]["penwidth"] == style.ROOT["penwidth"]
    assert nodes[names[out]]["fillcolor"] == style.ROOT["fillcolor"]
    nodes, _ = parse(draw_dot(out, params=[w]).source)
    assert nodes[names[w]]["fillcolor"] == style.KIND["parameter"]["fillcolor"]
    assert nodes[names[x]]["fillcolor"] == style.KIND["input"]["fillcolor"]


def test_highlight_colours_the_paths_and_the_caption_sums_to_the_grad() -> None:
    a = Value(3.0, label="a")
    c = Value(-1.0, label="c")
    q = a * a + a * c
    q.label = "q"
    q.backward()
    names = node_names(topological_order(q))
    red = style.HIGHLIGHT[0]
    source = draw_dot(q, highlight=a).source
    nodes, edges = parse(source)
    coloured = [(t, h) for t, h, x in edges if x.get("color") == red]
    # into a*a twice, into a*c once, both products into +, and three op -> result edges
    assert len(coloured) == 3 + 2 + 3
    assert all(x.get("color") != red for t, _, x in edges if t == names[c])
    assert nodes[names[a]]["color"] == red and nodes[names[a]]["penwidth"] == "3"
    assert nodes[names[c]]["color"] != red
    caption = re.search(r'label="(∂q.*?)" labeljust', source, re.S)
    assert caption is not None
    lines = caption[1].split("\\l")
    assert lines[0] == "∂q/∂a = sum over 3 paths of the product of local derivatives"
    assert lines[1] == "  q ← * ← a (arg 1):  1 × 3 = 3"
    assert lines[2] == "  q ← * ← a (arg 2):  1 × 3 = 3"
    assert lines[3] == "  q ← * ← a:  1 × -1 = -1"
    assert lines[4] == f"  sum = {compact(a.grad)} = a.grad"
    assert a.grad == 2 * 3.0 - 1.0


def test_caption_says_when_grad_was_not_filled_and_truncates_long_lists() -> None:
    a = Value(1.0, label="a")
    b = a
    for _ in range(12):
        b = b + b
    source = draw_dot(b, highlight=a, path_limit=3).source
    assert "sum over 4096 paths" in source
    assert "4093 more paths not listed" in source
    assert "sum = 4096   (a.grad holds 0: call backward() on the root to fill it)" in source


def test_two_highlights_get_two_colours() -> None:
    v = neuron()
    v["o"].backward()
    source = draw_dot(v["o"], highlight=[v["w1"], v["b"]]).source
    _, edges = parse(source)
    colours = {x.get("color") for _, _, x in edges}
    assert {style.HIGHLIGHT[0], style.HIGHLIGHT[1]} <= colours
    assert "∂o/∂w1 = sum over 1 path" in source and "∂o/∂b = sum over 1 path" in source


def test_grads_override_and_focus_for_the_flipbook() -> None:
    v = neuron()
    o, n = v["o"], v["n"]
    o.backward()
    names = node_names(topological_order(o))
    scene = select_scene(o, focus=n)
    source = draw_scene(scene, grads={n: None, v["b"]: 0.25}, focus=n).source
    nodes, edges = parse(source)
    assert nodes[names[n]]["label"] == "{n | data 0.8814 | grad ?}"
    assert "grad = unknown" in nodes[names[n]]["tooltip"]
    assert nodes[names[v["b"]]]["label"] == "{b | data 6.881 | grad 0.25}"
    assert nodes[names[v["w1"]]]["label"] == "{w1 | data -3 | grad 1}"  # not overridden
    assert nodes[names[n]]["color"] == style.FOCUS["color"]
    assert nodes[op_node_name(names[n])]["color"] == style.FOCUS["color"]
    focused = [(t, h) for t, h, x in edges if x.get("color") == style.FOCUS_EDGE["color"]]
    # n = s + b: the step at n writes into s and b, along the two edges into n's op
    assert sorted(focused) == sorted((names[p], op_node_name(names[n])) for p in n._prev)


def test_micrograd_calls_and_default_format() -> None:
    a = Value(2.0, label="a")
    out = a * 3.0
    drawing = draw_dot(out)
    assert drawing.format == "svg"
    drawing = draw_dot(out, format="png", rankdir="TB")
    assert drawing.format == "png"
    assert "rankdir=TB" in drawing.source


def test_mistakes_are_named() -> None:
    a = Value(2.0, label="a")
    out = a.tanh()
    with pytest.raises(TypeError, match=r"draw_dot needs a Value as root, got 2.0 \(float\)"):
        draw_dot(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"highlight: 'z' .* is not in the graph"):
        draw_dot(out, highlight=Value(1.0, label="z"))
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1 or None, got '5'"):
        draw_dot(out, max_nodes="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="slice needs Values, got 'a'"):
        draw_dot(out, slice=["a"])  # type: ignore[list-item]


def mlp_loss() -> tuple[Value, list[Value]]:
    """A 2-16-16-1 MLP's squared error: nn.MLP when present, else the same built by hand."""
    x = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    try:
        from nn import MLP
    except ImportError:
        import random

        rng = random.Random(0)
        params: list[Value] = []
        h = x
        for index, (nin, nout) in enumerate([(2, 16), (16, 16), (16, 1)], start=1):
            with name_scope(f"Layer {index}"):
                outs = []
                for j in range(1, nout + 1):
                    with name_scope(f"Neuron {index}.{j}"):
                        w = [Value(rng.uniform(-1, 1), label=f"w{index}.{j}.{k}")
                             for k in range(nin)]
                        b = Value(0.0, label=f"b{index}.{j}")
                        params += [*w, b]
                        total = b
                        for wk, xk in zip(w, h, strict=True):
                            total = total + wk * xk
                        outs.append(total.relu() if index < 3 else total)
                h = outs
        y = h[0]
    else:
        model = MLP(2, [16, 16, 1], seed=0)
        params = model.parameters()
        y = model(x)
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, params


def cluster_tree(source: str) -> dict[str, str]:
    """Each cluster's label -> the label of the cluster around it ("" at the top)."""
    stack: list[str] = [""]
    parent: dict[str, str] = {}
    pending = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            stack.append("?")
            pending = True
        elif stripped == "{":  # a rank=same/min group (viz.columns) inside a cluster
            stack.append(stack[-1])
        elif stripped == "}":
            stack.pop()
        elif pending and "label=" in stripped:
            label = attrs(stripped)["label"]
            stack[-1] = label
            parent[label] = stack[-2]
            pending = False
    return parent


def test_mlp_is_grouped_into_nested_clusters() -> None:
    loss, params = mlp_loss()
    assert len(params) == 337
    assert "Neuron 2.16" in draw_dot(loss).source  # micrograd's MLP(2, [16, 16, 1]): 1.2 s in dot
    order = topological_order(loss)
    size = len(order) + sum(1 for n in order if n._prev)
    with pytest.raises(ValueError, match=f"the graph has {size} nodes to draw .* max_nodes=500"):
        draw_dot(loss, max_nodes=500, guard=False)
    source = draw_dot(loss, guard=False).source
    # dot's own caps, for a big one (an MLP in columns keeps its reading order: viz.columns)
    assert 'mclimit=0.01' in source and 'nslimit=0.5' in source
    tree = cluster_tree(source)
    assert tree["Layer 1"] == "" and tree["Neuron 1.3"] == "Layer 1"
    assert tree["Neuron 2.16"] == "Layer 2" and tree["Layer 3"] == ""
    assert len(tree) == 3 + 16 + 16 + 1
    nodes, _ = parse(draw_dot(loss, guard=False, clusters=False).source)
    assert "subgraph" not in draw_dot(loss, guard=False, clusters=False).source
    assert len(nodes) == size


def test_collapse_draws_a_neuron_or_a_layer_as_one_box() -> None:
    loss, params = mlp_loss()
    source = draw_dot(loss, collapse="neuron", params=params).source
    nodes, edges = parse(source)
    boxes = {n: a for n, a in nodes.items() if a.get("shape") == "Mrecord"}
    assert len(boxes) == 16 + 16 + 1
    assert set(cluster_tree(source)) == {"Layer 1", "Layer 2", "Layer 3"}
    by_name = {a["label"].strip("{}").split(" | ")[0]: n for n, a in boxes.items()}
    assert nodes[by_name["Neuron 1.3"]]["label"].startswith("{Neuron 1.3 | 8 nodes | out ")
    # every layer-1 box feeds every layer-2 box, once
    pairs = {(t, h) for t, h, _ in edges}
    assert (by_name["Neuron 1.3"], by_name["Neuron 2.7"]) in pairs
    assert len([1 for t, h, _ in edges if t == by_name["Neuron 1.3"]]) == 16
    assert "concentrate=true" in source
    nodes, _ = parse(draw_dot(loss, collapse="layer").source)
    assert sorted(a["label"].split(" | ")[0] for a in nodes.values()
                  if a.get("shape") == "Mrecord") == ["{Layer 1", "{Layer 2", "{Layer 3"]
    nodes, _ = parse(draw_dot(loss, collapse={"Neuron 1.3"}, guard=False).source)
    assert sum(1 for a in nodes.values() if a.get("shape") == "Mrecord") == 1
    with pytest.raises(ValueError, match=r"collapse names \['Neuron 9.9'\] match no scope"):
        draw_dot(loss, collapse={"Neuron 9.9"})
    with pytest.raises(ValueError, match=r"collapse='neurons' is not one of \['layer', 'neuron'\]"):
        draw_dot(loss, collapse="neurons")


def test_slice_keeps_exactly_the_nodes_between_root_and_param() -> None:
    loss, params = mlp_loss()
    w = params[-2]  # a weight of the output neuron
    order = topological_order(loss)
    names = node_names(order)
    # reaches[n]: n depends on w (found by a forward sweep, not by the code under test)
    reaches = {node: node is w for node in order}
    for node in order:
        if any(reaches[p] for p in node._prev):
            reaches[node] = True
    expected = {names[n] for n in order if reaches[n]}
    nodes, edges = parse(draw_dot(loss, slice=w).source)
    drawn = {n for n in nodes if not n.endswith("op")}
    assert drawn == expected
    assert all(t in nodes and h in nodes for t, h, _ in edges)


def test_dot_missing_names_the_fix_and_the_dot_text_still_works(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Value(2.0, label="a")
    out = a.exp()
    monkeypatch.setenv("PATH", "")
    drawing = draw_dot(out)
    assert "v0 -> v1op" in drawing.source
    with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz"):
        save(out, tmp_path / "g.svg")  # type: ignore[operator]
    with pytest.raises(RuntimeError, match=r"draw_dot\(root\).source"):
        drawing.render(tmp_path / "gout")  # type: ignore[operator]
    written = save(out, tmp_path / "g.dot")  # type: ignore[operator]
    assert written.read_text(encoding="utf-8") == drawing.source


def test_save_refuses_an_unknown_suffix(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(ValueError, match=r"cannot tell the format of .*g\.jpeg"):
        save(Value(1.0), tmp_path / "g.jpeg")  # type: ignore[operator]


def test_importing_viz_loads_neither_graphviz_nor_nn() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, viz; print(sorted({'graphviz', 'nn', 'torch'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def wide_sum(n: int) -> Value:
    """The sum of n products of the same two leaves: each leaf's edges span ever more ranks."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    total = a * b
    for _ in range(n - 1):
        total = total + a * b
    return total


def test_the_guard_refuses_slow_shapes_without_running_dot(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from viz.render import drawing_class

    def no_dot(*args: object, **kwargs: object) -> None:
        raise AssertionError("dot must not run for a refused shape")

    monkeypatch.setattr(drawing_class(), "pipe", no_dot)
    monkeypatch.setattr("subprocess.run", no_dot)
    with pytest.raises(ValueError, match=r"would place 22652 nodes \(limit 15000\)") as info:
        save(wide_sum(150), "never.svg")
    assert "collapse='neuron'" in str(info.value)
    chain = Value(0.5, label="x")
    for _ in range(2600):
        chain = chain.tanh()
    with pytest.raises(ValueError, match=r"runs through 5201 ranks \(limit 5000\)"):
        save(chain, "never.svg")
    from nn import MLP

    x = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    wide = (MLP(2, [22, 22, 1], seed=0)(x) - 1.0) ** 2  # 9.8 s in dot
    refusal = r"lay out in seconds: up to 968 edges .* draw less of it with collapse='neuron'"
    with pytest.raises(ValueError, match=refusal) as info:
        draw_dot(wide)
    assert "slice=param" in str(info.value) and "guard=False" in str(info.value)


def test_the_guard_predicts_dots_virtual_nodes() -> None:
    from viz.cost import layout_cost
    from viz.scene import select_scene

    # dot -v reports "network simplex: 7441 nodes" for this graph's positioning phase.
    cost = layout_cost(select_scene(wide_sum(60)), labelled=True)
    assert (cost.nodes, cost.positioned) == (240, 7441)
    # So many virtual nodes: the labels go outside the layout (xlabel), which halves them.
    source = draw_dot(wide_sum(60)).source
    assert "xlabel=" in source and " label=" not in source.split("->", 1)[1]
    assert "nslimit=0.5" in source  # and dot's positioning is capped
    assert layout_cost(select_scene(wide_sum(120)), labelled=False).too_slow() is None
    assert layout_cost(select_scene(wide_sum(130)), labelled=False).too_slow() is not None
    chain = Value(0.5, label="x")
    for _ in range(400):
        chain = chain.tanh()
    # Labels double every rank (dot gives them ranks of their own): one virtual node per edge.
    assert layout_cost(select_scene(chain), labelled=True).virtual == 800
    assert layout_cost(select_scene(chain), labelled=False).virtual == 0


def test_fan_out_labels_are_tied_to_their_own_edges() -> None:
    x = Value(0.5, label="x")
    ws = [Value(float(k), label=f"w{k}") for k in range(4)]
    out = sum((w * x for w in ws), Value(0.0, label="b"))
    _, edges = parse(draw_dot(out).source)
    names = node_names(topological_order(out))
    from_x = [e for t, _, e in edges if t == names[x]]
    assert len(from_x) == 4 and all(e.get("decorate") == "true" for e in from_x)
    assert sorted(e["label"] for e in from_x) == ["0", "1", "2", "3"]  # d(w x)/dx = w
    assert all("decorate" not in e for t, _, e in edges if t == names[ws[0]])  # used once
