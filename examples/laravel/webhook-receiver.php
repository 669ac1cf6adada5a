<?php
// A receiver of the proxy's webhooks in plain PHP (no Composer), as the
// Standard Webhooks specification describes: it verifies the signature and
// the timestamp (5 minutes of tolerance), refuses a webhook-id it already
// processed, and dispatches by event type. In a Laravel application the same
// checks sit in a signature validator and a webhook profile of
// spatie/laravel-webhook-client (see the README).
//
//   VOYAGER_WEBHOOK_SECRETS="whsec_..." VOYAGER_WEBHOOK_STATE=/var/lib/app \
//       php -S 127.0.0.1:8080 examples/laravel/webhook-receiver.php
//
// VOYAGER_WEBHOOK_SECRETS: the proxy's secret(s), space separated (during a
// rotation either one verifies). VOYAGER_WEBHOOK_STATE: a directory for the
// ids already processed (processed-ids) and what the "application" did
// (events.log, one JSON line per event handled). While a file named
// "unsubscribed" is there, the receiver answers 410 Gone: the proxy then
// stops sending until its operator enables the endpoint again.

const TOLERANCE_SECONDS = 300;

function answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body), "\n";
}

/** True if one v1 signature of $header is HMAC-SHA256(secret, "id.timestamp.body") for one of $secrets. */
function signature_valid(array $secrets, string $id, string $timestamp, string $body, string $header): bool
{
    foreach ($secrets as $secret) {
        $key = base64_decode(substr($secret, strlen('whsec_')), true);
        if ($key === false || !str_starts_with($secret, 'whsec_')) {
            continue;
        }
        $expected = 'v1,' . base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
        foreach (explode(' ', $header) as $given) {
            if (hash_equals($expected, $given)) {
                return true;
            }
        }
    }
    return false;
}

/** What the application does with each event type: here, one line in events.log. */
function handlers(string $state): array
{
    $record = function (string $what) use ($state): callable {
        return function (string $id, array $event) use ($state, $what): void {
            $line = ['id' => $id, 'type' => $event['type'], 'did' => $what, 'data' => $event['data']];
            file_put_contents("$state/events.log", json_encode($line) . "\n", FILE_APPEND | LOCK_EX);
        };
    };
    return [
        'image.ready' => $record('copy the image and make the preview'),
        'fit.ready' => $record('note the FIT file'),
        'shot.completed' => $record('mark the shot done'),
        'command.completed' => $record('update the command'),
        'connection.lost' => $record('show the observatory offline'),
        'connection.restored' => $record('show the observatory online'),
        'connection.auth_failed' => $record('alert the operator'),
        'robotarget.status' => $record('update the booking'),
        'robotarget.shot.done' => $record('count the booking shot'),
        'webhook.test' => $record('log the test'),
    ];
}

$secrets = preg_split('/[\s,]+/', getenv('VOYAGER_WEBHOOK_SECRETS') ?: '', -1, PREG_SPLIT_NO_EMPTY);
$state = getenv('VOYAGER_WEBHOOK_STATE') ?: sys_get_temp_dir();
$id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
$timestamp = $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '';
$signature = $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '';
$body = file_get_contents('php://input');

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    answer(405, ['error' => 'POST only']);
    return;
}
if ($id === '' || $timestamp === '' || $signature === '' || !ctype_digit($timestamp)) {
    answer(400, ['error' => 'webhook-id, webhook-timestamp and webhook-signature are required']);
    return;
}
if (file_exists("$state/unsubscribed")) {
    answer(410, ['error' => 'this application no longer takes webhooks']);
    return;
}
if (abs(time() - (int) $timestamp) > TOLERANCE_SECONDS) {
    answer(400, ['error' => 'webhook-timestamp is more than 5 minutes from our clock']);
    return;
}
if (!signature_valid($secrets, $id, $timestamp, $body, $signature)) {
    answer(401, ['error' => 'no valid signature']);
    return;
}
$event = json_decode($body, true);
if (!is_array($event) || !isset($event['type'], $event['data'])) {
    answer(400, ['error' => 'the body is not a webhook event']);
    return;
}

// One request at a time past this point: the id check and the dispatch are one step.
$lock = fopen("$state/processed-ids", 'c+');
flock($lock, LOCK_EX);
$seen = array_flip(preg_split('/\n/', stream_get_contents($lock), -1, PREG_SPLIT_NO_EMPTY));
if (isset($seen[$id])) {
    flock($lock, LOCK_UN);
    answer(200, ['duplicate' => true]);  // 2xx: the proxy stops sending it
    return;
}
$handlers = handlers($state);
if (isset($handlers[$event['type']])) {
    $handlers[$event['type']]($id, $event);
}
fseek($lock, 0, SEEK_END);
fwrite($lock, "$id\n");
fflush($lock);
flock($lock, LOCK_UN);
answer(200, ['handled' => isset($handlers[$event['type']])]);
