"""Development tools, kept out of the runtime package `orchestration`: the demo-data generator
(`python -m tools.demo_data`) and the generators of files committed beside the code
(`python -m tools.contract_render`, `python -m tools.render_quality_docs`), each with `--check`."""
