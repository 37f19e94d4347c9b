/* nft-learn: plays agentsbx's DNS resolver for the network tests, in the
 * network namespace it runs in (the test enters the container's with
 * nsenter), through the very functions the resolver calls.
 *
 *   nft-learn raw CONTAINER-ID TTL ADDR[,PORT][,deny]...
 *       sbx_nft_learn: these elements into the container's sets
 *   nft-learn answer CONTAINER-ID POLICY-FILE TTL NAME ADDR...
 *       an answer for NAME as the resolver handles it: name_allowed (exit 3
 *       when refused), address_blocked (dropped addresses are printed as
 *       "blocked ADDR"), then sbx_network_dns_allow with the rest
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "network_dns.h"
#include "nftables.h"
#include "policy.h"
#include "utils.h"

static int parse_addr(const char *s, int *family, uint8_t addr[16])
{
  memset(addr, 0, 16);
  *family = strchr(s, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(*family, s, addr) != 1) {
    fprintf(stderr, "nft-learn: bad address %s\n", s);
    return -1;
  }
  return 0;
}

static int raw(int argc, char **argv)
{
  struct sbx_nft_learned l[64];
  struct sbx_error err = { 0 };
  struct sbx_nft *nft = NULL;
  cleanup_free char *table = sbx_nft_table_name(argv[0]);
  int n = 0;

  for (int i = 2; i < argc && n < 64; i++, n++) {
    char *addr = strtok(argv[i], ","), *port = strtok(NULL, ","), *deny = strtok(NULL, ",");
    memset(&l[n], 0, sizeof l[n]);
    if (parse_addr(addr, &l[n].family, l[n].addr) < 0)
      return 2;
    l[n].port = port ? (uint16_t)atoi(port) : 0;
    l[n].deny = deny && strcmp(deny, "deny") == 0;
  }
  if (sbx_nft_open(&nft, &err) < 0 ||
      sbx_nft_learn(nft, table, l, (size_t)n, (unsigned)atoi(argv[1]), &err) < 0) {
    fprintf(stderr, "nft-learn: %s\n", err.msg);
    return 1;
  }
  sbx_nft_close(nft);
  return 0;
}

static int answer(int argc, char **argv)
{
  struct sbx_error err = { 0 };
  struct sbx_policy *p = NULL;
  struct sbx_network_dns d;
  struct sbx_network_addr addrs[64];
  const char *rule = NULL;
  size_t n = 0;
  int ret = 0;

  if (sbx_policy_load(NULL, argv[1], &p, &err) < 0 || sbx_network_dns_open(&d, argv[0], p, &err) < 0) {
    fprintf(stderr, "nft-learn: %s\n", err.msg);
    return 1;
  }
  if (!sbx_network_dns_name_allowed(&d, argv[3], &rule)) {
    printf("refused %s: %s\n", argv[3], rule);
    ret = 3;
    goto out;
  }
  for (int i = 4; i < argc && n < 64; i++) {
    if (parse_addr(argv[i], &addrs[n].family, addrs[n].bytes) < 0) {
      ret = 2;
      goto out;
    }
    if (sbx_network_dns_address_blocked(&d, addrs[n].family, addrs[n].bytes))
      printf("blocked %s\n", argv[i]);
    else
      n++;
  }
  if (sbx_network_dns_allow(&d, argv[3], addrs, n, (uint32_t)atoi(argv[2]), &err) < 0) {
    fprintf(stderr, "nft-learn: %s\n", err.msg);
    ret = 1;
  }
out:
  sbx_network_dns_close(&d);
  sbx_policy_free(p);
  return ret;
}

int main(int argc, char **argv)
{
  if (argc >= 5 && strcmp(argv[1], "raw") == 0)
    return raw(argc - 2, argv + 2);
  if (argc >= 6 && strcmp(argv[1], "answer") == 0)
    return answer(argc - 2, argv + 2);
  fprintf(stderr, "usage: nft-learn raw ID TTL ADDR[,PORT][,deny]...\n"
                  "       nft-learn answer ID POLICY-FILE TTL NAME ADDR...\n");
  return 2;
}
