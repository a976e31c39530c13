"""Visit requests ("Permohonan jemput bola"): residents' families, schools, institutions and RTs ask for a visit.

`intake` checks and stores what the public form (`/permohonan`, `public_views`) and the public API
(`POST /api/v1/public/requests`, outreach.api.public_requests) receive, with the abuse rules (open requests
per phone number, the form's honeypot), and answers the public status page from the code and the last 4
digits of the phone number, without any personal data. `queue` is the coordinator's side (statuses,
scope, the rumah site of a home visit, notifications; pages in `queue_views`, API in
outreach.api.requests); `privacy` erases closed requests' personal data (the housekeeping job).
"""
