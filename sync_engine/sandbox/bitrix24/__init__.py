"""Bitrix24 REST twin: a portal emulation faithful enough for real clients and our connector."""
