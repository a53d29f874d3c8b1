/*
 * test_device_errors.c - calls on device buffers that must be refused,
 * and failures that happen after a call returned.
 *
 *  - refused with a message naming the argument, nothing queued: device
 *    buffers on a communicator with no GPU, a host and a device buffer
 *    together, host buffers with a stream, a stream capturing a CUDA
 *    graph, groups that mix host and device buffers, use two streams on
 *    one communicator, or read what an earlier call writes; after all
 *    that the communicator still works;
 *  - a peer that never calls: the stream's wait ends at the deadline
 *    (1 s), weft_comm_get_async_error says WEFT_ERR_TIMEOUT, and the
 *    next call fails with the original message;
 *  - abort with calls queued: every stream goes on within seconds.
 * Exits 77 without a GPU.
 */
#include "core/comm.h"
#include "gpu_test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures;

static void expect(int line, weft_status_t st, weft_status_t want, const char *words)
{
    const char *msg = weft_last_error();
    if (st != want || (words != NULL && strstr(msg, words) == NULL)) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d (want %d), message '%s' (want '%s')\n", line,
                st, want, msg, words ? words : "");
    } else {
        printf("as expected: %s\n", st == WEFT_OK ? "ok" : msg);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    weft_unique_id_t id;
    int rank;
    double timeout_s;
    int device;
    weft_comm_t comm;
} join_t;

static void *join(void *arg)
{
    join_t *j = arg;
    weft_config_t config = WEFT_CONFIG_INITIALIZER;
    config.timeout_s = j->timeout_s;
    GPU_CHECK(cudaSetDevice(j->device));
    if (weft_comm_init_rank_config(2, &j->id, j->rank, &config, &j->comm) != WEFT_OK)
        fprintf(stderr, "init rank %d: %s\n", j->rank, weft_last_error());
    return NULL;
}

/* Two ranks (threads) with a timeout of timeout_s. */
static void pair(int device, double timeout_s, weft_comm_t comms[2])
{
    join_t j[2];
    pthread_t t;
    if (weft_get_unique_id(&j[0].id) != WEFT_OK)
        exit(1);
    for (int r = 0; r < 2; r++)
        j[r] = (join_t){j[0].id, r, timeout_s, device, NULL};
    pthread_create(&t, NULL, join, &j[1]);
    join(&j[0]);
    pthread_join(t, NULL);
    if (j[0].comm == NULL || j[1].comm == NULL)
        exit(1);
    comms[0] = j[0].comm;
    comms[1] = j[1].comm;
}

static void test_refused(int device, float *d, float *h, cudaStream_t s)
{
    weft_comm_t c[2], none = NULL;
    pair(device, 30, c);
    weft_unique_id_t id;
    weft_get_unique_id(&id);
    if (weft__comm_create_device(1, &id, 0, NULL, -1, &none) != WEFT_OK)
        exit(1);
    expect(__LINE__, weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, none, s),
           WEFT_ERR_INVALID_USAGE, "no CUDA device");
    weft_comm_destroy(none);
    expect(__LINE__, weft_allreduce(h, d, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s),
           WEFT_ERR_INVALID_ARGUMENT, "recvbuf");
    expect(__LINE__, weft_broadcast(d, h, 64, WEFT_FLOAT32, 0, c[0], s),
           WEFT_ERR_INVALID_ARGUMENT, "sendbuf");
    expect(__LINE__, weft_allreduce(h, h + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s),
           WEFT_ERR_UNSUPPORTED, "stream");
    GPU_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    weft_status_t st = weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s);
    cudaGraph_t graph = NULL;
    GPU_CHECK(cudaStreamEndCapture(s, &graph));
    if (graph != NULL)
        GPU_CHECK(cudaGraphDestroy(graph));
    expect(__LINE__, st, WEFT_ERR_UNSUPPORTED, "capturing a CUDA graph");
    cudaStream_t s2;
    GPU_CHECK(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking));
    weft_group_start();
    weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s);
    weft_allreduce(h, h + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], NULL);
    expect(__LINE__, weft_group_end(), WEFT_ERR_UNSUPPORTED, "mixes");
    weft_group_start();
    weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s);
    weft_allreduce(d + 128, d + 192, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s2);
    expect(__LINE__, weft_group_end(), WEFT_ERR_UNSUPPORTED, "different streams");
    weft_group_start();
    weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s);
    weft_allreduce(d + 64, d + 128, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s);
    expect(__LINE__, weft_group_end(), WEFT_ERR_UNSUPPORTED, "reads");
    /* Nothing was issued: the pair still works. */
    expect(__LINE__, weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s), WEFT_OK, 0);
    expect(__LINE__, weft_allreduce(d + 256, d + 320, 64, WEFT_FLOAT32, WEFT_SUM, c[1], s2),
           WEFT_OK, NULL);
    GPU_CHECK(cudaStreamSynchronize(s));
    GPU_CHECK(cudaStreamSynchronize(s2));
    weft_status_t async = WEFT_ERR_INTERNAL;
    weft_comm_get_async_error(c[0], &async);
    expect(__LINE__, async, WEFT_OK, NULL);
    GPU_CHECK(cudaStreamDestroy(s2));
    weft_comm_destroy(c[0]);
    weft_comm_destroy(c[1]);
}

static void test_deadline(int device, float *d, cudaStream_t s)
{
    weft_comm_t c[2];
    pair(device, 1.0, c);
    double t0 = now_s();
    expect(__LINE__, weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s), WEFT_OK,
           NULL); /* rank 1 never comes */
    GPU_CHECK(cudaStreamSynchronize(s));
    double waited = now_s() - t0;
    if (waited > 10) {
        failures++;
        fprintf(stderr, "FAIL the stream waited %.1f s for a 1 s deadline\n", waited);
    }
    weft_status_t async = WEFT_OK;
    expect(__LINE__, weft_comm_get_async_error(c[0], &async), WEFT_OK, NULL);
    expect(__LINE__, async, WEFT_ERR_TIMEOUT, "weft_allreduce");
    expect(__LINE__, weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s),
           WEFT_ERR_TIMEOUT, "failed earlier");
    weft_comm_abort(c[0]);
    weft_comm_abort(c[1]);
}

static void test_abort(int device, float *d, cudaStream_t s)
{
    weft_comm_t c[2];
    pair(device, 60, c);
    for (int i = 0; i < 3; i++) /* rank 1 never comes */
        expect(__LINE__, weft_allreduce(d, d + 64, 64, WEFT_FLOAT32, WEFT_SUM, c[0], s),
               WEFT_OK, NULL);
    struct timespec pause = {0, 200000000};
    nanosleep(&pause, NULL);
    double t0 = now_s();
    expect(__LINE__, weft_comm_abort(c[0]), WEFT_OK, NULL);
    GPU_CHECK(cudaStreamSynchronize(s));
    double waited = now_s() - t0;
    if (waited > 5) {
        failures++;
        fprintf(stderr, "FAIL the stream went on %.1f s after abort\n", waited);
    }
    weft_comm_abort(c[1]);
}

int main(void)
{
    int device = gpu_test_device_or_skip("test_device_errors");
    float *d = NULL, h[512];
    cudaStream_t s;
    GPU_CHECK(cudaMalloc((void **)&d, 512 * sizeof(float)));
    GPU_CHECK(cudaMemset(d, 0, 512 * sizeof(float)));
    GPU_CHECK(cudaDeviceSynchronize()); /* s below is non-blocking */
    GPU_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    memset(h, 0, sizeof(h));
    test_refused(device, d, h, s);
    test_deadline(device, d, s);
    test_abort(device, d, s);
    GPU_CHECK(cudaStreamDestroy(s));
    GPU_CHECK(cudaFree(d));
    if (failures) {
        fprintf(stderr, "test_device_errors: %d failures\n", failures);
        return 1;
    }
    printf("test_device_errors: ok\n");
    return 0;
}
