"""Outlook and Microsoft 365 over Microsoft Graph and msal: delta sync, Outlook drafts."""
