/*
 * test_launch.c - where weft_comm_init_env finds rank, size, rendezvous and
 * secret: WEFT_*, OpenMPI, Slurm and torchrun variables set here one
 * combination at a time; missing or malformed ones give errors that name
 * the variable.  Also the node identity (WEFT_HOSTID, host name + boot id).
 */
#include "bootstrap/bootstrap.h"
#include "bootstrap/net.h"
#include "util/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, " (last error: %s)\n", weft_last_error());                             \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Every variable any case sets; cleared before and after each case. */
static const char *const all_vars[] = {"WEFT_RANK",
                                       "WEFT_NRANKS",
                                       "WEFT_ROOT",
                                       "WEFT_SECRET",
                                       "WEFT_HOSTID",
                                       "OMPI_COMM_WORLD_RANK",
                                       "OMPI_COMM_WORLD_SIZE",
                                       "OMPI_COMM_WORLD_LOCAL_SIZE",
                                       "OMPI_MCA_ess_base_jobid",
                                       "PMIX_NAMESPACE",
                                       "SLURM_PROCID",
                                       "SLURM_NTASKS",
                                       "SLURM_NNODES",
                                       "SLURM_JOB_NUM_NODES",
                                       "SLURM_JOB_ID",
                                       "SLURM_STEP_ID",
                                       "SLURM_STEPID",
                                       "RANK",
                                       "WORLD_SIZE",
                                       "MASTER_ADDR",
                                       "MASTER_PORT",
                                       "TORCHELASTIC_RUN_ID",
                                       "LOCAL_WORLD_SIZE",
                                       "PATH_ONLY"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(all_vars) / sizeof(all_vars[0]); i++)
        unsetenv(all_vars[i]);
    weft__config_reload();
}

/* Sets "NAME=value" pairs (NULL-terminated), then reads the launch info. */
static weft_status_t launch(weft__launch_info_t *info, const char *const *pairs)
{
    clear_env();
    for (; *pairs != NULL; pairs++) {
        char name[64];
        const char *eq = strchr(*pairs, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - *pairs), *pairs);
        setenv(name, eq + 1, 1);
    }
    weft__config_reload();
    memset(info, 0xee, sizeof(*info));
    return weft__launch_info(info);
}

static const char *root_str(const weft__launch_info_t *info, char *buf)
{
    return weft__net_addr_str(&info->root_addr, buf, 80);
}

#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect(const char *const *pairs, int rank, int nranks, const char *root,
                   const char *source)
{
    weft__launch_info_t info;
    char buf[80];
    weft_status_t st = launch(&info, pairs);
    CHECK(st == WEFT_OK, "%s...: status %d", pairs[0], st);
    if (st != WEFT_OK)
        return;
    CHECK(info.rank == rank && info.nranks == nranks, "%s...: rank %d/%d, expected %d/%d", pairs[0],
          info.rank, info.nranks, rank, nranks);
    CHECK(strcmp(root_str(&info, buf), root) == 0, "%s...: root %s, expected %s", pairs[0], buf,
          root);
    CHECK(strcmp(info.source, source) == 0, "%s...: source %s, expected %s", pairs[0], info.source,
          source);
}

static void expect_error(const char *const *pairs, const char *var)
{
    weft__launch_info_t info;
    weft_status_t st = launch(&info, pairs);
    CHECK(st != WEFT_OK, "%s...: should fail naming %s", pairs[0], var);
    CHECK(strstr(weft_last_error(), var) != NULL, "%s...: message names %s", pairs[0], var);
}

static void test_sources(void)
{
    expect(ENV("WEFT_RANK=2", "WEFT_NRANKS=4", "WEFT_ROOT=10.0.0.1:29500"), 2, 4, "10.0.0.1:29500",
           "WEFT_*");
    expect(ENV("WEFT_RANK=0", "WEFT_NRANKS=1", "WEFT_ROOT=[::1]:7000"), 0, 1, "[::1]:7000",
           "WEFT_*");
    /* WEFT_* wins over a launcher; WEFT_ROOT over MASTER_ADDR. */
    expect(ENV("WEFT_RANK=1", "WEFT_NRANKS=2", "WEFT_ROOT=127.0.0.1:5000", "OMPI_COMM_WORLD_RANK=0",
               "OMPI_COMM_WORLD_SIZE=8", "MASTER_ADDR=10.0.0.9", "MASTER_PORT=1"),
           1, 2, "127.0.0.1:5000", "WEFT_*");
    expect(ENV("OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=8", "WEFT_ROOT=10.1.1.1:4000"), 3, 8,
           "10.1.1.1:4000", "OpenMPI");
    expect(ENV("SLURM_PROCID=5", "SLURM_NTASKS=6", "MASTER_ADDR=10.2.2.2", "MASTER_PORT=29500"), 5,
           6, "10.2.2.2:29500", "Slurm");
    expect(ENV("RANK=1", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29400",
               "TORCHELASTIC_RUN_ID=abc"),
           1, 2, "127.0.0.1:29400", "torchrun");
    /* torchrun inside a Slurm allocation: torchrun's variables describe this worker. */
    expect(ENV("RANK=3", "WORLD_SIZE=4", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29400",
               "SLURM_PROCID=0", "SLURM_NTASKS=1"),
           3, 4, "127.0.0.1:29400", "torchrun");
    expect(ENV("RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=::1", "MASTER_PORT=29400"), 0, 2,
           "[::1]:29400", "torchrun");
}

/* One node: 127.0.0.1 and a port from the job id, the same in every rank. */
static void test_single_node(void)
{
    weft__launch_info_t a, b;
    char buf[80];
    CHECK(launch(&a, ENV("OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=4",
                         "OMPI_COMM_WORLD_LOCAL_SIZE=4", "OMPI_MCA_ess_base_jobid=123456")) ==
              WEFT_OK,
          "OpenMPI one node");
    CHECK(launch(&b, ENV("OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=4",
                         "OMPI_COMM_WORLD_LOCAL_SIZE=4", "OMPI_MCA_ess_base_jobid=123456")) ==
              WEFT_OK,
          "OpenMPI one node, rank 3");
    uint16_t port = ntohs(((struct sockaddr_in *)&a.root_addr)->sin_port);
    CHECK(strncmp(root_str(&a, buf), "127.0.0.1:", 10) == 0 && port >= 20000 && port <= 59999,
          "derived root %s", buf);
    CHECK(memcmp(&a.root_addr, &b.root_addr, sizeof(a.root_addr)) == 0 &&
              memcmp(a.secret, b.secret, WEFT_SECRET_BYTES) == 0,
          "ranks of one job agree on root and secret");
    CHECK(launch(&b, ENV("OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=4",
                         "OMPI_COMM_WORLD_LOCAL_SIZE=4", "OMPI_MCA_ess_base_jobid=654321")) ==
              WEFT_OK,
          "another job");
    CHECK(memcmp(a.secret, b.secret, WEFT_SECRET_BYTES) != 0, "another job, another secret");
    CHECK(launch(&a, ENV("OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=2",
                         "OMPI_COMM_WORLD_LOCAL_SIZE=2", "PMIX_NAMESPACE=prterun-x-1@1")) ==
              WEFT_OK,
          "PMIx namespace");
    CHECK(launch(&a, ENV("SLURM_PROCID=1", "SLURM_NTASKS=2", "SLURM_NNODES=1", "SLURM_JOB_ID=77",
                         "SLURM_STEP_ID=0")) == WEFT_OK,
          "Slurm one node");
    CHECK(launch(&b, ENV("SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_JOB_NUM_NODES=1",
                         "SLURM_JOB_ID=77", "SLURM_STEP_ID=1")) == WEFT_OK,
          "Slurm one node, next step");
    CHECK(strcmp(a.source, "Slurm") == 0 &&
              memcmp(&a.root_addr, &b.root_addr, sizeof(a.root_addr)) != 0,
          "two steps of one job use two ports");

    /* WEFT_SECRET: the same text gives the same 32 bytes, another text others. */
    CHECK(launch(&a, ENV("WEFT_RANK=0", "WEFT_NRANKS=2", "WEFT_ROOT=127.0.0.1:1",
                         "WEFT_SECRET=hunter2")) == WEFT_OK &&
              launch(&b, ENV("WEFT_RANK=1", "WEFT_NRANKS=2", "WEFT_ROOT=127.0.0.1:1",
                             "WEFT_SECRET=hunter2")) == WEFT_OK &&
              memcmp(a.secret, b.secret, WEFT_SECRET_BYTES) == 0,
          "WEFT_SECRET agrees");
    CHECK(launch(&b, ENV("WEFT_RANK=1", "WEFT_NRANKS=2", "WEFT_ROOT=127.0.0.1:1",
                         "WEFT_SECRET=hunter3")) == WEFT_OK &&
              memcmp(a.secret, b.secret, WEFT_SECRET_BYTES) != 0,
          "WEFT_SECRET differs");
}

static void test_errors(void)
{
    expect_error(ENV("PATH_ONLY=1"), "WEFT_ROOT");
    expect_error(ENV("WEFT_RANK=0"), "WEFT_NRANKS");
    expect_error(ENV("WEFT_NRANKS=2"), "WEFT_RANK");
    expect_error(ENV("WEFT_RANK=2", "WEFT_NRANKS=2", "WEFT_ROOT=h:1"), "WEFT_RANK");
    expect_error(ENV("WEFT_RANK=0", "WEFT_NRANKS=0", "WEFT_ROOT=h:1"), "WEFT_NRANKS");
    expect_error(ENV("WEFT_RANK=0", "WEFT_NRANKS=2", "WEFT_ROOT=nohostport"), "WEFT_ROOT");
    expect_error(ENV("WEFT_RANK=0", "WEFT_NRANKS=2"), "WEFT_ROOT=host:port");
    expect_error(ENV("OMPI_COMM_WORLD_RANK=1"), "OMPI_COMM_WORLD_SIZE");
    expect_error(ENV("OMPI_COMM_WORLD_RANK=x1", "OMPI_COMM_WORLD_SIZE=2"), "OMPI_COMM_WORLD_RANK");
    expect_error(ENV("OMPI_COMM_WORLD_RANK=4", "OMPI_COMM_WORLD_SIZE=4", "WEFT_ROOT=127.0.0.1:1"),
                 "OMPI_COMM_WORLD_RANK");
    /* Several nodes and no address: only WEFT_ROOT can help. */
    expect_error(ENV("OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=4",
                     "OMPI_COMM_WORLD_LOCAL_SIZE=2", "OMPI_MCA_ess_base_jobid=1"),
                 "set WEFT_ROOT=host:port (where rank 0 can listen)");
    expect_error(ENV("SLURM_PROCID=0", "SLURM_NTASKS=-3"), "SLURM_NTASKS");
    expect_error(ENV("SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_NNODES=2", "SLURM_JOB_ID=5"),
                 "WEFT_ROOT");
    expect_error(ENV("SLURM_NTASKS=2"), "SLURM_PROCID");
    expect_error(ENV("RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1"), "MASTER_PORT");
    expect_error(ENV("RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=http"),
                 "MASTER_ADDR:MASTER_PORT");
    expect_error(ENV("RANK=0", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=1"), "WORLD_SIZE");
}

static void test_host_id(void)
{
    char a[WEFT_HOSTID_BYTES], b[WEFT_HOSTID_BYTES];
    clear_env();
    weft__host_id(a);
    weft__host_id(b);
    CHECK(a[0] != '\0' && strcmp(a, b) == 0, "stable host id \"%s\"", a);
    printf("host id: %s\n", a);
    setenv("WEFT_HOSTID", "node-17", 1);
    weft__config_reload();
    weft__host_id(a);
    CHECK(strcmp(a, "node-17") == 0, "WEFT_HOSTID: \"%s\"", a);
}

int main(void)
{
    test_sources();
    test_single_node();
    test_errors();
    test_host_id();
    clear_env();
    if (failures) {
        fprintf(stderr, "test_launch: %d failures\n", failures);
        return 1;
    }
    printf("test_launch: ok\n");
    return 0;
}
