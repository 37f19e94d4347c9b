/* nft-learn: plays agentsbx's DNS resolver for the network tests: installs
 * addresses into a container's allowlist table through sbx_nft_learn, the
 * very function the resolver calls, in the network namespace it runs in
 * (the test enters the container's with nsenter).
 *
 *   nft-learn CONTAINER-ID TIMEOUT-SECONDS ADDR[,PORT][,deny]...
 *   e.g. nft-learn sbxt-1 60 192.0.2.2 2001:db8::2,7777 192.0.2.2,8080,deny
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nftables.h"

int main(int argc, char **argv)
{
  struct sbx_nft_learned l[64];
  struct sbx_error err = { 0 };
  struct sbx_nft *nft = NULL;
  char *table;
  int n = 0;

  if (argc < 4 || argc - 3 > 64) {
    fprintf(stderr, "usage: nft-learn CONTAINER-ID TIMEOUT ADDR[,PORT][,deny]...\n");
    return 2;
  }
  for (int i = 3; i < argc; i++, n++) {
    char *addr = strtok(argv[i], ","), *port = strtok(NULL, ","), *deny = strtok(NULL, ",");
    memset(&l[n], 0, sizeof l[n]);
    l[n].family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(l[n].family, addr, l[n].addr) != 1) {
      fprintf(stderr, "nft-learn: bad address %s\n", addr);
      return 2;
    }
    l[n].port = port ? (uint16_t)atoi(port) : 0;
    l[n].deny = deny && strcmp(deny, "deny") == 0;
  }
  table = sbx_nft_table_name(argv[1]);
  if (sbx_nft_open(&nft, &err) < 0 ||
      sbx_nft_learn(nft, table, l, (size_t)n, (unsigned)atoi(argv[2]), &err) < 0) {
    fprintf(stderr, "nft-learn: %s\n", err.msg);
    return 1;
  }
  sbx_nft_close(nft);
  free(table);
  return 0;
}
