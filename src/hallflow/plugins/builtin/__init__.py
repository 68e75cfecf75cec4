"""hallflow's own defaults, shipped as a plugin (registered first, so any locality wins)."""
