"""Pulumi dynamic resources for Microsoft Entra ID memberships, through Microsoft Graph."""
