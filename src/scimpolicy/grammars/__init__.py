"""The lark grammars of scimpolicy, loaded as package data (``scim_filter.lark``)."""
