-- One delivery, typed for `DeliveryRow`.
SELECT seq, id AS "id: DeliveryId", status AS "status: DeliveryStatus", reason,
    event_id, event_type, project, sim_id AS "sim_id: SimId",
    subscription_id AS "subscription_id: SubscriptionId", user_id AS "user_id: UserId",
    recipient, automatic, resend_of AS "resend_of: DeliveryId", attempts, next_attempt_at,
    message_id, created_at, updated_at, delivered_at, kind AS "kind: DeliveryKind",
    reminder_of AS "reminder_of: DeliveryId", installed_at, iccid, phone_number,
    notice_of AS "notice_of: DeliveryId", locale
FROM deliveries WHERE id = $1
