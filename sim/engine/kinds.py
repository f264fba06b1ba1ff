"""Every kind of event the engine records, one constant each (docs/engine.md, Records, lists
what each fills in). Modules that write or read the event log use these names, never the
strings."""

from __future__ import annotations

# -- infrastructure ----------------------------------------------------------------------

DAMAGE = "damage"
"""A disruption damages an asset (value: damage level; detail: `disruption N`)."""
DAMAGE_END = "damage_end"
"""A disruption's damage is lifted (value: hours it lasted; detail: `disruption N`)."""
ASSET_DOWN = "asset_down"
"""An asset's inoperability rose to DOWN or above (value: q)."""
ASSET_UP = "asset_up"
"""An asset's inoperability fell below DOWN (value: q)."""
BACKUP_START = "backup_start"
"""An asset's backup starts riding through its suppliers' loss."""
BACKUP_EXHAUSTED = "backup_exhausted"
"""An asset's backup is used up: it feels its suppliers' loss."""
BACKUP_END = "backup_end"
"""An asset's supply came back: its backup is full again."""

# -- campaigns ---------------------------------------------------------------------------

INTRUSION_START = "intrusion_start"
"""An intrusion into its target begins."""
DETECTED = "detected"
"""An intrusion is first detected (value: stage number; detail: `number:tactic:technique`)."""
INTRUSION_STOPPED = "intrusion_stopped"
"""The victim alone stopped a detected intrusion (value, detail: as DETECTED)."""
STAGE_SUCCESS = "stage_success"
"""A stage succeeded (value, detail: as DETECTED)."""
STAGE_BLOCKED = "stage_blocked"
"""A stage failed and the intrusion ended (value: stage number; detail: as DETECTED)."""
BLOCK_REASON = "block_reason"
"""Why a stage was blocked, logged right after its STAGE_BLOCKED row when more than plain
defence stopped it (value: stage number; detail: `isolated`, the asset was isolated, or
`indicators`, the target held the campaign's indicators)."""
IMPACT = "impact"
"""An impact lands (value: damage level; detail: impact type)."""
EXFILTRATION = "exfiltration"
"""An exfiltration lands: no damage (detail: impact type)."""
RESTORATION_START = "restoration_start"
"""Containment came first: the damaged asset's restoration begins."""
IMPACT_END = "impact_end"
"""An impact's damage is lifted (value: hours it lasted; detail: impact type). It was the
response that shortened it when the incident has a RESTORATION_START row."""
SPREAD_PREVENTED = "spread_prevented"
"""A spread did not happen: its origin was contained or the asset isolated (detail: the
asset spared)."""
INTRUSION_CONTAINED = "intrusion_contained"
"""Containment interrupted an intrusion before its impact."""
INTRUSION_TAKEN_DOWN = "intrusion_taken_down"
"""An intrusion stopped because its campaign's infrastructure was taken down."""
BACKGROUND_INCIDENT = "background_incident"
"""A routine incident arrived (value: handling hours; detail: its kind from the mix)."""

# -- response ----------------------------------------------------------------------------

NOT_REPORTED = "not_reported"
"""A private operator did not report an incident."""
REPORTED = "reported"
"""An incident reached its national CSIRT."""
TRIAGED = "triaged"
"""A CSIRT scored an incident (value: score; detail: level)."""
RETRIAGED = "retriaged"
"""A triaged incident went further and its level rose (value: score; detail: level)."""
CONTAINED = "contained"
"""A CSIRT finished containing an incident."""
QUEUED = "queued"
"""A task joins a CSIRT's queue (detail: task)."""
QUEUE_WAIT = "queue_wait"
"""A task leaves the queue for an analyst (value: hours waited; detail: task)."""
WORK = "work"
"""The CSIRT's own analyst starts a task (value: analyst-hours; detail: task)."""
LENT_WORK = "lent_work"
"""A lent analyst starts a task (value, detail: as WORK)."""
JOINT_CELL_WORK = "joint_cell_work"
"""The joint cell starts a task (value, detail: as WORK)."""
NIGHT_SHIFT = "night_shift"
"""Analysts go off duty for the night (value: how many leave)."""
DAY_SHIFT = "day_shift"
"""Analysts are back in the morning (value: how many return)."""
ADVISORY_ISSUED = "advisory_issued"
"""A CSIRT turned a triaged incident's indicators into a national advisory."""
INDICATORS_SHARED = "indicators_shared"
"""A member publishes a campaign's indicators to the network (a decision's share: a row per
campaign it covers, at one hour; one without a campaign when it had none to share)."""
INDICATORS_RECEIVED = "indicators_received"
"""A member received a campaign's indicators new to it."""
ASSISTANCE_REQUESTED = "assistance_requested"
"""A CSIRT asks for analysts (detail: the case's level, or the helper asked by a decision)."""
ASSISTANCE_ANSWERED = "assistance_answered"
"""A partner agreed to lend analysts (value: hours until they arrive)."""
ASSISTANCE_REFUSED = "assistance_refused"
"""A request for analysts could not be met (detail: why)."""
ASSISTANCE_ARRIVED = "assistance_arrived"
"""Lent analysts join a country's pool (value: hours they stay; detail: who and how many)."""
ASSISTANCE_LEFT = "assistance_left"
"""Lent analysts go home (detail: who and how many)."""
TAKEDOWN_REQUESTED = "takedown_requested"
"""A CSIRT asks for a campaign's infrastructure to be taken down (detail: host country)."""
TAKEDOWN_DECLINED = "takedown_declined"
"""The host country's CSIRT declined a takedown."""
INFRASTRUCTURE_TAKEN_DOWN = "infrastructure_taken_down"
"""A campaign's infrastructure is down (value: hours it took; detail: campaign)."""

# -- exercise ----------------------------------------------------------------------------

INJECT = "inject"
"""An inject falls due (value: its sequence; detail: its message as delivered)."""
DECISION = "decision"
"""An option is taken at a decision point (value: its index; detail: its label)."""
MOVE = "move"
"""A team acts outside any decision point, in a served exercise (detail: what it did)."""
ISOLATED = "isolated"
"""A decision takes an asset offline (value: hours)."""
ISOLATION_END = "isolation_end"
"""An isolated asset is back on line."""
ALERT_RAISED = "alert_raised"
"""A decision raises a sector's alert level (detail: sector, where, assets and hours)."""
ALERT_END = "alert_end"
"""A raised alert level ends (detail: as ALERT_RAISED)."""
BACKUP_ACTIVATED = "backup_activated"
"""A decision brings a fresh backup on line at an asset (value: hours)."""
PUBLIC_STATEMENT = "public_statement"
"""A decision makes a public statement (detail: its text)."""

KINDS: tuple[str, ...] = (
    DAMAGE,
    DAMAGE_END,
    ASSET_DOWN,
    ASSET_UP,
    BACKUP_START,
    BACKUP_EXHAUSTED,
    BACKUP_END,
    INTRUSION_START,
    DETECTED,
    INTRUSION_STOPPED,
    STAGE_SUCCESS,
    STAGE_BLOCKED,
    BLOCK_REASON,
    IMPACT,
    EXFILTRATION,
    RESTORATION_START,
    IMPACT_END,
    SPREAD_PREVENTED,
    INTRUSION_CONTAINED,
    INTRUSION_TAKEN_DOWN,
    BACKGROUND_INCIDENT,
    NOT_REPORTED,
    REPORTED,
    TRIAGED,
    RETRIAGED,
    CONTAINED,
    QUEUED,
    QUEUE_WAIT,
    WORK,
    LENT_WORK,
    JOINT_CELL_WORK,
    NIGHT_SHIFT,
    DAY_SHIFT,
    ADVISORY_ISSUED,
    INDICATORS_SHARED,
    INDICATORS_RECEIVED,
    ASSISTANCE_REQUESTED,
    ASSISTANCE_ANSWERED,
    ASSISTANCE_REFUSED,
    ASSISTANCE_ARRIVED,
    ASSISTANCE_LEFT,
    TAKEDOWN_REQUESTED,
    TAKEDOWN_DECLINED,
    INFRASTRUCTURE_TAKEN_DOWN,
    INJECT,
    DECISION,
    MOVE,
    ISOLATED,
    ISOLATION_END,
    ALERT_RAISED,
    ALERT_END,
    BACKUP_ACTIVATED,
    PUBLIC_STATEMENT,
)
"""Every kind above, in the order docs/engine.md lists them."""
