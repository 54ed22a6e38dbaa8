"""The policy side of scimpolicy: the policy language, its checker and evaluation.

It reads users and groups from :mod:`scimpolicy.scim`; the SCIM side never imports it.
"""
