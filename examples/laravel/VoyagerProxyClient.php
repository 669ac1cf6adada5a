<?php
// A Laravel client for voyager-proxy's REST API.
//
// In a Laravel application, register it in a service provider:
//   $this->app->singleton(VoyagerProxyClient::class, fn ($app) => new VoyagerProxyClient(
//       $app->make(\Illuminate\Http\Client\Factory::class),   // what the Http facade uses
//       config('services.voyager_proxy.url'),                  // http://127.0.0.1:3000
//       config('services.voyager_proxy.key'),                  // a control key (api.keys)
//   ));
// and inject it where needed. Every method returns the decoded JSON answer and
// throws Illuminate\Http\Client\RequestException on any non-2xx answer, whose
// JSON body says why: {"success": false, "error": {"code": ..., "message": ...}}.

namespace App\Services;

use Illuminate\Http\Client\Factory;
use Illuminate\Http\Client\PendingRequest;

class VoyagerProxyClient
{
    public function __construct(
        private Factory $http,
        private string $baseUrl,
        private string $apiKey,
        private int $timeoutSeconds = 180,
    ) {
    }

    private function api(): PendingRequest
    {
        return $this->http
            ->baseUrl($this->baseUrl)
            ->withHeaders(['X-API-Key' => $this->apiKey])
            ->acceptJson()
            ->timeout($this->timeoutSeconds);
    }

    /** The Voyager session: state, since, attempts, last error. */
    public function connection(): array
    {
        return $this->api()->get('/api/status/connection')->throw()->json();
    }

    /** The cached observatory state (ControlData with its parsed part, shot progress, signals). */
    public function dashboardState(): array
    {
        return $this->api()->get('/api/dashboard/state')->throw()->json();
    }

    /** Take a shot and wait for its result; the booking id makes a retry safe. */
    public function takeShot(string $bookingId, float $exposure, int $binning = 1, int $filterIndex = 0): array
    {
        return $this->api()
            ->withHeaders(['Idempotency-Key' => "booking-{$bookingId}-shot-" . md5("$exposure/$binning/$filterIndex")])
            ->post('/api/camera/shot', [
                'exposure' => $exposure,
                'binning' => $binning,
                'filterIndex' => $filterIndex,
            ])->throw()->json();
    }

    /** The latest preview JPEG, as bytes. */
    public function previewJpeg(): string
    {
        return $this->api()->accept('image/jpeg')->get('/api/camera/preview')->throw()->body();
    }

    /** Point the telescope: RA in hours and Dec in degrees, decimal or sexagesimal. */
    public function gotoTarget(string|float $ra, string|float $dec): array
    {
        return $this->api()->post('/api/telescope/goto', ['ra' => $ra, 'dec' => $dec])->throw()->json();
    }

    /** Park without waiting: the answer (202) carries the command's UID to follow. */
    public function parkLater(string $bookingId): array
    {
        return $this->api()
            ->withHeaders(['Idempotency-Key' => "booking-{$bookingId}-park"])
            ->post('/api/telescope/park?wait=false')->throw()->json();
    }

    /** One command from the ledger: state sent/acknowledged/running/ok/error/aborted/timeout/lost. */
    public function command(string $uid): array
    {
        return $this->api()->get("/api/commands/{$uid}")->throw()->json();
    }

    /** Stop whatever Voyager is running. */
    public function abort(): array
    {
        return $this->api()->post('/api/control/abort')->throw()->json();
    }

    // RoboTarget: a booking is one plan (set + target + shots), created all or nothing.

    /** RoboTarget's state: disabled, waiting, activating, ready or error (with the reason). */
    public function roboTargetStatus(): array
    {
        return $this->api()->get('/api/robotarget/status')->throw()->json('robotarget');
    }

    /** Voyager's base sequences (templates a target runs with) for a profile. */
    public function baseSequences(string $profile = ''): array
    {
        return $this->api()->get('/api/robotarget/base-sequences', ['profile' => $profile])->throw()->json('baseSequences');
    }

    /**
     * Prepare a booking the day before: ['set' => [...], 'target' => [...], 'shots' => [[...], ...]]
     * with Voyager's parameter names. Returns setGuid, targetGuid and shotGuids. On a 502 nothing was
     * left behind unless error.rolledBack is false (then call deletePlan with error.setGuid).
     */
    public function planBooking(array $plan): array
    {
        return $this->api()->post('/api/robotarget/plans', $plan)->throw()->json();
    }

    /** The slot starts: the scheduler may run the target. */
    public function activateTarget(string $targetGuid): array
    {
        return $this->api()->post("/api/robotarget/targets/{$targetGuid}/activate")->throw()->json();
    }

    /** The slot ends. */
    public function deactivateTarget(string $targetGuid): array
    {
        return $this->api()->post("/api/robotarget/targets/{$targetGuid}/deactivate")->throw()->json();
    }

    /** The frames shot for a booking so far. */
    public function shotsDone(string $setGuid): array
    {
        return $this->api()->get("/api/robotarget/sets/{$setGuid}/shots-done")->throw()->json('shotsDone');
    }

    /** Remove a booking: its set, target and shots. */
    public function deletePlan(string $setGuid): array
    {
        return $this->api()->delete("/api/robotarget/plans/{$setGuid}")->throw()->json();
    }
}
