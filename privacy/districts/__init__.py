"""A school's or a district's data as a whole (PROMISES R7, R8, R9).

- `deletion`: the engine that deletes a school's or a district's data in chunks, resumably.
- `requests`: a district admin's request to delete one school's data or the district's (R7),
  carried out by the daily job within the window, confirmed with a certificate.
- `contract`: the contract's end (R8): read-only at once, reading and export for the access
  window, then disposal of everything, a notice to the district's contact and a certificate kept
  at the platform level.
- `backstop`: a district nobody used for the backstop period is treated as terminated (R9).
- `jobs`: the retention job (privacy.jobs "districts") that sweeps these clocks every day.
- `readonly`: the check the view and API choke points make (no database query).

The clocks. Every clock is a LifecycleTimer row of kind REQUEST_DUE (no new kind: the kind's
choices stay as they are, so no privacy migration), swept daily with SKIP LOCKED by the
"districts" job; `subject_type` says which clock it is and which handler runs it
(jobs.DUE_HANDLERS): "privacy.privacyrequest" (a deletion request), "tenants.district:contract_end"
(stop sending at the end) and "tenants.district:disposal" (dispose at the end of access). The
contract's dates themselves live on the District row, where the choke points read them for free.

This package's __init__ imports nothing, so the choke points can import `readonly` cheaply.
"""
