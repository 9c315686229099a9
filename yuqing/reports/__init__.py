"""Reports for people who supervise the response work (sections 四 and 五 of the notice)."""
