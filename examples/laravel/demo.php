<?php
// Runs every VoyagerProxyClient method once against a running proxy:
//   php examples/laravel/demo.php http://127.0.0.1:3000 <control key>
// Outside a Laravel application the HTTP client factory is built by hand;
// Debian's php-illuminate-http and php-guzzlehttp-guzzle provide it.

require_once 'Illuminate/Http/autoload.php';
require_once 'GuzzleHttp/autoload.php';
require_once __DIR__ . '/VoyagerProxyClient.php';

use App\Services\VoyagerProxyClient;
use Illuminate\Http\Client\Factory;

[$script, $url, $key] = $argv + [null, 'http://127.0.0.1:3000', ''];
$proxy = new VoyagerProxyClient(new Factory(), $url, $key);

$connection = $proxy->connection();
echo "connection: {$connection['connection']['state']}\n";
$state = $proxy->dashboardState();
echo 'state generation: ' . $state['state']['generation'] . "\n";
$shot = $proxy->takeShot('456', 0.5);
echo "shot: {$shot['state']} {$shot['uid']}\n";
$again = $proxy->takeShot('456', 0.5);
echo 'shot retried: ' . ($again['uid'] === $shot['uid'] ? 'same command' : 'NEW COMMAND') . "\n";
echo 'preview: ' . strlen($proxy->previewJpeg()) . " bytes\n";
$goto = $proxy->gotoTarget('05:35:17.3', '-05:23:28');
echo "goto: {$goto['state']}\n";
$park = $proxy->parkLater('456');
echo "park: {$park['state']}\n";
$entry = $proxy->command($park['uid']);
echo "park in the ledger: {$entry['method']}\n";
$abort = $proxy->abort();
echo "abort: {$abort['state']}\n";

$robotarget = $proxy->roboTargetStatus();
echo "robotarget: {$robotarget['state']}\n";
$sequence = $proxy->baseSequences('Default.v2y')[0]['guid'];
$booking = $proxy->planBooking([
    'set' => ['Name' => 'Booking 456', 'ProfileName' => 'Default.v2y', 'Tag' => 'booking_456'],
    'target' => ['RefGuidBaseSequence' => $sequence, 'TargetName' => 'M42', 'RAJ2000' => '05:35:17.3',
                 'DECJ2000' => '-05:23:28', 'Status' => 1, 'C_Mask' => 'B', 'C_AltMin' => 30],
    'shots' => [['Label' => 'L', 'FilterIndex' => 0, 'Num' => 1, 'Exposure' => 1]],
]);
echo 'plan: ' . count($booking['shotGuids']) . " shot\n";
$proxy->activateTarget($booking['targetGuid']);
$proxy->deactivateTarget($booking['targetGuid']);
echo 'shots done so far: ' . count($proxy->shotsDone($booking['setGuid'])) . "\n";
$proxy->deletePlan($booking['setGuid']);
echo "plan deleted\n";
