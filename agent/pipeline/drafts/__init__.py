"""Drafts through their life: made from the plan, reviewed, pushed once, noticed sent."""
