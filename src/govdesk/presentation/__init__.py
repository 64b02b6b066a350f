"""What the interface layers (portal, workbench, api) share to show domain values to people:
HTTP statuses for domain errors, labels, display values, dates in local time, PDF responses.
No business rules: values come typed from selectors; this only formats them."""
