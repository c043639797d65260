"""Reliability and security: the promises of docs/reliability.md, each with its proof."""
