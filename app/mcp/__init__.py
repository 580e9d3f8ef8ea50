"""`symbiote mcp`: Symbiote as an MCP server that decides on the device what a client may see.

`driver`: step-by-step browsing where the MCP client fills the large seat of the one agent loop
(`core.loop.run_episode` through the PrivacyRouter), so everything the client receives passes
the same boundary as a cloud payload. `server`: the tools, their annotations and the audit of
every response.
"""
