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
